"""A training example as text segments, so a variation can rewrite words without breaking entity spans.

Rasa stores an example as text plus entities with character offsets. Rewriting the text (a typo, a
wrapper sentence, a plural) would move those offsets; here an example is a list of segments, each
either free text or the exact text of one annotated entity. Variations edit only the free text and
wrap the whole; offsets are recomputed when the example is turned back into text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any


@dataclass(frozen=True)
class Segment:
    text: str
    entity: Mapping[str, Any] | None = None  # the entity's annotation without start/end; None for free text


@dataclass(frozen=True)
class Example:
    segments: tuple[Segment, ...]
    intent: str

    @classmethod
    def from_annotated(cls, text: str, intent: str, entities: Sequence[Mapping[str, Any]] = ()) -> Example:
        """Split `text` at its entity spans; overlapping or out-of-range spans make the example unusable."""
        segments: list[Segment] = []
        position = 0
        for entity in sorted(entities, key=lambda e: int(e["start"])):
            start, end = int(entity["start"]), int(entity["end"])
            if start < position or end > len(text) or start >= end:
                raise ValueError(f"entity span {start}-{end} does not fit {text!r}")
            if start > position:
                segments.append(Segment(text[position:start]))
            annotation = {k: v for k, v in entity.items() if k not in ("start", "end")}
            segments.append(Segment(text[start:end], annotation))
            position = end
        if position < len(text):
            segments.append(Segment(text[position:]))
        return cls(tuple(segments), intent)

    @property
    def text(self) -> str:
        return "".join(segment.text for segment in self.segments)

    def entities(self) -> list[dict[str, Any]]:
        """The annotations with offsets into `text`."""
        found: list[dict[str, Any]] = []
        position = 0
        for segment in self.segments:
            if segment.entity is not None:
                found.append({**segment.entity, "start": position, "end": position + len(segment.text)})
            position += len(segment.text)
        return found

    def map_free_text(self, change: Callable[[str], str]) -> Example:
        """Apply `change` to every free-text segment; entity text is left exactly as annotated."""
        segments = tuple(s if s.entity is not None else Segment(change(s.text)) for s in self.segments)
        return replace(self, segments=_merge_free_text(segments))

    def wrapped(self, before: str, after: str = "") -> Example:
        """The example inside a frame sentence ("could you ask an agent how I can " + example + "?")."""
        segments = (Segment(before), *self.segments, Segment(after))
        return replace(self, segments=_merge_free_text(tuple(s for s in segments if s.text)))

    def strip_prefix(self, length: int) -> Example | None:
        """Drop the first `length` characters when they are free text (None when they reach an entity)."""
        first = self.segments[0] if self.segments else None
        if first is None or first.entity is not None or len(first.text) < length:
            return None
        rest = first.text[length:]
        segments = ((Segment(rest),) if rest else ()) + self.segments[1:]
        return replace(self, segments=segments) if segments else None


def _merge_free_text(segments: tuple[Segment, ...]) -> tuple[Segment, ...]:
    merged: list[Segment] = []
    for segment in segments:
        if merged and segment.entity is None and merged[-1].entity is None:
            merged[-1] = Segment(merged[-1].text + segment.text)
        else:
            merged.append(segment)
    return tuple(merged)
