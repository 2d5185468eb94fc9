"""The production graph store: Neo4j 5.x (a server, a cluster or Aura) through the official driver.

Reads are the shared Cypher in knowledge_graph/queries.py, sent as read transactions (routed to
followers in a cluster). Writes are batched `UNWIND ... MERGE` in write transactions, so a
re-import updates nodes in place and never duplicates them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from typing import Any

import neo4j

from contracts.catalogue import Catalogue
from knowledge_graph import schema
from knowledge_graph.rows import CatalogueRows, Row, batches, catalogue_rows
from knowledge_graph.store import GraphStore, ProgressCallback, WriteReport

logger = logging.getLogger(__name__)

WRITE_BATCH = 5_000
# What a read raises while the server is down or restarting (not a wrong query).
UNREACHABLE = (neo4j.exceptions.ServiceUnavailable, neo4j.exceptions.SessionExpired)
# ...and while it is up but its database is not online yet (DatabaseUnavailable is a TransientError).
NOT_READY = (*UNREACHABLE, neo4j.exceptions.TransientError)


@dataclass(frozen=True)
class Neo4jSettings:
    uri: str = "bolt://127.0.0.1:7687"
    user: str | None = None
    password: str | None = None
    database: str | None = None  # None: the server's default database
    connection_timeout_s: float = 5.0
    # How long the driver retries a query that failed for a reason it deems transient (its default is
    # 30 s, its first pause 1 s). A shopper's question must fail at once when the database is down: one
    # answer can take several graph calls, the action server gives each 2 s (KG_TIMEOUT_S), and the
    # shopper must hear within 2 s in all (docs/reliability.md). The caller may ask again.
    retry_s: float = 0.0
    # Without retries a pooled connection the server dropped (e.g. it restarted) would fail the next
    # question: one idle for longer than this is checked before it is used (a round trip).
    liveness_check_s: float = 1.0
    # A server that has just started takes over 1 s over each query's first run (planning, pages read
    # from disk), so the first shopper after a restart would hear "I can't look up our products".
    # After a read failed because the server was unreachable, the store tries every reconnect_poll_s
    # and warms the server up (GraphStore.warm_up) as soon as it answers; it also warms it every
    # keep_warm_s, for a restart no read noticed (the driver replaces dead connections silently).
    reconnect_poll_s: float = 0.5
    keep_warm_s: float = 60.0

    def auth(self) -> tuple[str, str] | None:
        return (self.user, self.password or "") if self.user else None


class Neo4jGraphStore(GraphStore):
    name = "neo4j"

    def __init__(self, settings: Neo4jSettings) -> None:
        self.settings = settings
        self._driver = neo4j.AsyncGraphDatabase.driver(
            settings.uri,
            auth=settings.auth(),
            connection_timeout=settings.connection_timeout_s,
            max_transaction_retry_time=settings.retry_s,
            liveness_check_timeout=settings.liveness_check_s,
        )
        self._read_failed = asyncio.Event()
        self._keeper: asyncio.Task[None] | None = None

    async def _read(self, query: str, params: dict[str, Any] | None = None) -> list[Row]:
        if self._keeper is None:  # started by the first read, in the loop that serves the reads
            self._keeper = asyncio.create_task(self._keep_warm(), name="neo4j-keep-warm")
        try:
            records, _, _ = await self._driver.execute_query(
                query, params or {}, database_=self.settings.database, routing_=neo4j.RoutingControl.READ
            )
        except NOT_READY:
            self._read_failed.set()
            raise
        return [record.data() for record in records]

    async def _keep_warm(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._read_failed.wait(), self.settings.keep_warm_s)
            await self._warm_once_it_answers()
            self._read_failed.clear()

    async def _warm_once_it_answers(self) -> None:
        failed_at = time.monotonic() if self._read_failed.is_set() else None
        while True:
            try:
                started = time.monotonic()
                await self.warm_up()
            except NOT_READY as error:
                if failed_at is None:
                    failed_at = started
                logger.debug("neo4j: unreachable (%s); trying again in %.1f s", error, self.settings.reconnect_poll_s)
                await asyncio.sleep(self.settings.reconnect_poll_s)
                continue
            except Exception:  # a bad catalogue or query must not end the keeper
                logger.exception("neo4j: warming up failed")
                return
            if failed_at is not None:
                logger.warning(
                    "neo4j: answering again %.1f s after a read failed; warmed up in %.2f s",
                    started - failed_at,
                    time.monotonic() - started,
                )
            return

    async def _write(self, query: str, params: dict[str, Any] | None = None) -> list[Row]:
        records, _, _ = await self._driver.execute_query(query, params or {}, database_=self.settings.database)
        return [record.data() for record in records]

    async def ensure_schema(self) -> None:
        for table in schema.NODE_TABLES:
            await self._write(
                f"CREATE CONSTRAINT {table.name.lower()}_{table.key} IF NOT EXISTS "
                f"FOR (n:{table.name}) REQUIRE n.{table.key} IS UNIQUE"
            )

    async def write_catalogue(self, catalogue: Catalogue, progress: ProgressCallback | None = None) -> WriteReport:
        known = await self.categories() if catalogue.products else []
        return await self._write_rows(catalogue_rows(catalogue, known), progress)

    async def _write_rows(self, rows: CatalogueRows, progress: ProgressCallback | None) -> WriteReport:
        report = WriteReport()
        for table in schema.NODE_TABLES:
            created, updated = await self._upsert_nodes(table, rows.nodes.get(table.name, []))
            report.created[table.name], report.updated[table.name] = created, updated
            if progress:
                progress(table.name, created + updated)
        for rel in schema.REL_TABLES:
            owners, edges = rows.edge_owners.get(rel.name, []), rows.edges.get(rel.name, [])
            report.edges[rel.name] = await self._replace_edges(rel, owners, edges)
            if progress:
                progress(rel.name, report.edges[rel.name])
        return report

    async def _upsert_nodes(self, table: schema.NodeTable, rows: list[Row]) -> tuple[int, int]:
        unique = list({row[table.key]: row for row in rows}.values())
        created = 0
        query = (
            f"UNWIND $rows AS r MERGE (n:{table.name} {{{table.key}: r.{table.key}}}) "
            "ON CREATE SET n._new = true SET n += r "
            "WITH n, coalesce(n._new, false) AS new REMOVE n._new "
            "RETURN sum(CASE WHEN new THEN 1 ELSE 0 END) AS created"
        )
        for batch in batches(unique, WRITE_BATCH):
            created += (await self._write(query, {"rows": batch}))[0]["created"]
        return created, len(unique) - created

    async def _replace_edges(self, rel: schema.RelTable, owners: list[str], edges: list[Row]) -> int:
        source, target = schema.NODE_BY_NAME[rel.source], schema.NODE_BY_NAME[rel.target]
        delete = f"UNWIND $ids AS i MATCH (a:{rel.source} {{{source.key}: i}})-[r:{rel.name}]->() DELETE r"
        for batch in batches(owners, WRITE_BATCH):
            await self._write(delete, {"ids": batch})
        unique = list({(e["source"], e["target"]): e for e in edges}.values())
        properties = ", ".join(f"{name}: r.{name}" for name, _ in rel.columns)
        properties = f" {{{properties}}}" if properties else ""
        create = (
            f"UNWIND $rows AS r MATCH (a:{rel.source} {{{source.key}: r.source}}) "
            f"MATCH (b:{rel.target} {{{target.key}: r.target}}) "
            f"CREATE (a)-[:{rel.name}{properties}]->(b) RETURN count(*) AS n"
        )
        written = 0
        for batch in batches(unique, WRITE_BATCH):
            written += (await self._write(create, {"rows": batch}))[0]["n"]
        if written < len(unique):
            logger.warning("%s: %d link(s) point at unknown nodes and were skipped", rel.name, len(unique) - written)
        return written

    async def clear(self) -> None:
        # Batched deletes need an auto-commit transaction, which execute_query does not give.
        async with self._driver.session(database=self.settings.database) as session:
            result = await session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS")
            await result.consume()

    async def close(self) -> None:
        if self._keeper is not None:
            self._keeper.cancel()
            await asyncio.gather(self._keeper, return_exceptions=True)
        await self._driver.close()
