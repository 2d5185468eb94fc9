"""Recognition prompts: Whisper decodes better when the prompt already holds the shop's own words.

The prompt is text the model treats as what was said just before, so product names ("Merino Crew
T-Shirt", "Kestrel K5") and the catalogue's colours come out spelled as the shop spells them.
"""

from __future__ import annotations

import csv
import functools
from pathlib import Path

from speech.settings import REPO

DEMO_CATALOGUE = REPO / "catalogue_files" / "demo" / "catalogue.csv"
MAX_PROMPT_CHARS = 700  # Whisper keeps at most 223 prompt tokens; stay well inside


@functools.lru_cache(maxsize=4)
def catalogue_prompt(path: Path = DEMO_CATALOGUE, max_chars: int = MAX_PROMPT_CHARS) -> str:
    """ "Shop call about orders and products: <titles>. Colours: <colours>." from a Shopify-style CSV."""
    titles: list[str] = []
    colours: list[str] = []
    option_names: dict[tuple[str, str], str] = {}  # variant rows leave the option name empty
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            title = (row.get("Title") or "").strip()
            if title and title not in titles:
                titles.append(title)
            for option in ("Option1", "Option2", "Option3"):
                key = (row.get("Handle") or "", option)
                name = option_names.setdefault(key, row.get(f"{option} Name") or "") or row.get(f"{option} Name") or ""
                value = (row.get(f"{option} Value") or "").strip()
                if name.lower() in ("color", "colour") and value and value not in colours:
                    colours.append(value)
    prompt = f"Shop call about orders and products. Colours: {', '.join(colours)}. Products: "
    for title in titles:
        if len(prompt) + len(title) + 2 > max_chars:
            break
        prompt += title + ", "
    return prompt.rstrip(", ") + "."


def prompt_from_setting(setting: str) -> str | None:
    """SPEECH_PROMPT: "catalogue" (the demo catalogue), "none", or the path of a product CSV."""
    if setting == "none":
        return None
    path = DEMO_CATALOGUE if setting == "catalogue" else Path(setting)
    if not path.is_file():
        raise ValueError(f"SPEECH_PROMPT must be 'catalogue', 'none' or a product CSV file; {path} does not exist")
    return catalogue_prompt(path)
