"""A shop's catalogue files read into the shared catalogue records (contracts/catalogue.py): Shopify's
product CSV, the relations.yml and policies.yml beside it, and the demo shop's files (demo/).

A library, not part of the knowledge graph, because more than the graph reads these files: the graph
imports them, and the demo seeds of the pricing and recommendations backends read the demo catalogue
without a graph service (docs/architecture.md). Services venv; imports only `contracts`."""
