"""The local Neo4j dev server is a real Neo4j 5.26 that the official driver can use, and only this machine can reach."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

import neo4j

from knowledge_graph.neo4j_server import launcher
from tests.support.neo4j import Neo4jServer, build_or_fail, neo4j_server  # noqa: F401 - session fixture
from tests.support.servers import free_port

LISTEN = "0A"  # TCP state in /proc/net/tcp*


def listening_addresses(pid: int) -> set[tuple[str, int]]:
    """(ip, port) of every TCP socket the process listens on, from /proc (Linux)."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        target = os.readlink(f"/proc/{pid}/fd/{fd}") if os.path.islink(f"/proc/{pid}/fd/{fd}") else ""
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == LISTEN and fields[9] in inodes:
                address, port = fields[1].split(":")
                found.add((decode_ip(address), int(port, 16)))
    return found


def decode_ip(hex_address: str) -> str:
    """/proc/net/tcp* stores addresses as 32-bit words in host (little-endian) order."""
    words = [bytes.fromhex(hex_address[i : i + 8])[::-1] for i in range(0, len(hex_address), 8)]
    ip = ipaddress.ip_address(b"".join(words))
    mapped = getattr(ip, "ipv4_mapped", None)
    return str(mapped or ip)


def test_create_and_match_with_parameters(neo4j_server: Neo4jServer) -> None:  # noqa: F811
    with neo4j.GraphDatabase.driver(neo4j_server.uri, auth=None) as driver:
        driver.execute_query(
            "CREATE (:Product {sku: $sku, name: $name})-[:ACCESSORY_OF]->(:Product {sku: $parent})",
            sku="CASE-1",
            name="Phone case",
            parent="PHONE-1",
        )
        records, _, _ = driver.execute_query(
            "MATCH (a:Product {sku: $sku})-[:ACCESSORY_OF]->(p:Product) RETURN a.name AS name, p.sku AS parent",
            sku="CASE-1",
        )
    assert [record.data() for record in records] == [{"name": "Phone case", "parent": "PHONE-1"}]


def test_is_neo4j_5_26_community(neo4j_server: Neo4jServer) -> None:  # noqa: F811
    with neo4j.GraphDatabase.driver(neo4j_server.uri, auth=None) as driver:
        records, _, _ = driver.execute_query("CALL dbms.components() YIELD name, versions, edition RETURN *")
    [component] = [record.data() for record in records]
    assert component["name"] == "Neo4j Kernel"
    assert component["edition"] == "community"
    assert component["versions"][0].startswith("5.26.")


def test_listens_on_loopback_bolt_only(neo4j_server: Neo4jServer) -> None:  # noqa: F811
    assert listening_addresses(neo4j_server.pid) == {("127.0.0.1", neo4j_server.port)}


def test_data_survives_a_restart(tmp_path: Path) -> None:
    build_or_fail()
    port, data_dir, log_file = free_port(), tmp_path / "data", tmp_path / "server.log"
    uri = f"bolt://127.0.0.1:{port}"
    proc = launcher.start(port, data_dir, log_file)
    try:
        with neo4j.GraphDatabase.driver(uri, auth=None) as driver:
            driver.execute_query("CREATE (:Brand {id: $id})", id="acme")
    finally:
        launcher.stop(proc)
    assert proc.returncode == 143, launcher.tail(launcher.read_log(log_file))  # SIGTERM, after the shutdown hook
    proc = launcher.start(port, data_dir, log_file)
    try:
        with neo4j.GraphDatabase.driver(uri, auth=None) as driver:
            records, _, _ = driver.execute_query("MATCH (b:Brand) RETURN b.id AS id")
        assert [record["id"] for record in records] == ["acme"]
    finally:
        launcher.stop(proc)
