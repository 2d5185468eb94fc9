package shopassistant;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.neo4j.configuration.GraphDatabaseInternalSettings;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.connectors.HttpsConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.io.ByteUnit;

/**
 * A local Neo4j Community server for developers and tests: the real database engine with its Bolt
 * connector on 127.0.0.1 only, authentication off, data kept in a directory of your choice.
 *
 * <p>Usage: {@code java -cp target/classes:target/lib/* shopassistant.Neo4jDevServer --port 7687
 * --data-dir var/neo4j [--page-cache-mb 256]}. Prints {@code NEO4J READY bolt://127.0.0.1:<port>}
 * on stdout once Bolt accepts connections; SIGTERM or Ctrl-C shuts the database down cleanly.
 */
public final class Neo4jDevServer {
    private static final String HOST = "127.0.0.1";

    private Neo4jDevServer() {}

    /** Command-line options; anything not given falls back to a system property, then a default. */
    record Options(int port, Path dataDir, long pageCacheMb) {
        static Options parse(String[] args) {
            String port = System.getProperty("neo4j.port", "7687");
            String dataDir = System.getProperty("neo4j.dataDir", "var/neo4j");
            String pageCache = System.getProperty("neo4j.pageCacheMb", "256");
            for (int i = 0; i < args.length; i++) {
                String value = i + 1 < args.length ? args[i + 1] : null;
                switch (args[i]) {
                    case "--port" -> port = require(args[i], value);
                    case "--data-dir" -> dataDir = require(args[i], value);
                    case "--page-cache-mb" -> pageCache = require(args[i], value);
                    default -> throw new IllegalArgumentException("unknown option " + args[i]
                            + " (expected --port N, --data-dir DIR, --page-cache-mb N)");
                }
                i++;
            }
            return new Options(Integer.parseInt(port), Path.of(dataDir).toAbsolutePath(), Long.parseLong(pageCache));
        }

        private static String require(String option, String value) {
            if (value == null) {
                throw new IllegalArgumentException(option + " needs a value");
            }
            return value;
        }
    }

    /** Bolt on loopback only, no HTTP, no auth (nothing but this machine can reach it), small memory.
     *
     * <p>HTTP is off anyway: this embedded server has no HTTP module on its class path.
     */
    static DatabaseManagementService start(Options options) {
        return new DatabaseManagementServiceBuilder(options.dataDir())
                .setConfig(GraphDatabaseSettings.default_listen_address, new SocketAddress(HOST))
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress(HOST, options.port()))
                .setConfig(BoltConnector.advertised_address, new SocketAddress(HOST, options.port()))
                .setConfig(HttpConnector.enabled, false)
                .setConfig(HttpsConnector.enabled, false)
                .setConfig(GraphDatabaseSettings.auth_enabled, false)
                .setConfig(GraphDatabaseSettings.udc_enabled, false) // no anonymous usage reports to neo4j.com
                .setConfig(GraphDatabaseSettings.pagecache_memory, ByteUnit.mebiBytes(options.pageCacheMb()))
                // Transaction logs: no 256 MiB pre-allocated files, rotate small (dev and test data is tiny).
                .setConfig(GraphDatabaseSettings.preallocate_logical_logs, false)
                .setConfig(GraphDatabaseSettings.logical_log_rotation_threshold, ByteUnit.mebiBytes(16))
                // Netty's default 5 s quiet period per event loop made every stop take ~10 s.
                .setConfig(GraphDatabaseInternalSettings.netty_server_shutdown_quiet_period, 1)
                .build();
    }

    public static void main(String[] args) throws InterruptedException {
        Options options = Options.parse(args);
        DatabaseManagementService service = start(options);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.err.println("neo4j: shutting down");
            service.shutdown();
            stopped.countDown();
        }, "neo4j-shutdown"));

        String database = GraphDatabaseSettings.DEFAULT_DATABASE_NAME;
        if (!service.database(database).isAvailable(TimeUnit.MINUTES.toMillis(2))) {
            System.err.println("neo4j: database '" + database + "' did not become available");
            System.exit(1);
        }
        System.out.println("NEO4J READY bolt://" + HOST + ":" + options.port());
        System.out.flush();
        stopped.await();
    }
}
