"""The demo shop's items: the fallback when no knowledge-graph service is configured, and what the
demo interactions of `python -m backends.recommendations.seed` are about.

The one module of this service that reads a catalogue file rather than the graph service: the demo
catalogue ships as a Shopify CSV plus two YAML files in catalogue_files/demo/, read by the
catalogue_files library the graph imports them with. Everything else here gets products over HTTP
(sources.GraphSource), as the layering in docs/architecture.md asks.
"""

from __future__ import annotations

from backends.recommendations.items import ItemCatalogue, from_catalogue
from catalogue_files.demo import load_demo_catalogue


def demo_items() -> ItemCatalogue:
    return from_catalogue(load_demo_catalogue().catalogue)
