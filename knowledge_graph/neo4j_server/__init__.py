"""A local Neo4j Community 5.26 server for developers and tests, built from Maven Central (no Docker).

`python -m knowledge_graph.neo4j_server run --port 7687 --data-dir var/neo4j` (see docs/neo4j.md).
"""

from knowledge_graph.neo4j_server.launcher import MissingTool, build, start, stop

__all__ = ["MissingTool", "build", "start", "stop"]
