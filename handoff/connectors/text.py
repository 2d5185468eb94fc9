"""Plain text for the shopper: agents often answer in HTML, and chat channels show text only."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from html.parser import HTMLParser

from handoff.connectors.base import ExternalTicket

BLOCK_TAGS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre"})
SKIPPED_TAGS = frozenset({"script", "style", "head", "title"})


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED_TAGS:
            self._skipping += 1
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")
        if tag == "li":
            self.parts.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED_TAGS:
            self._skipping = max(0, self._skipping - 1)
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Visible text of an HTML fragment: entities decoded, block elements as line breaks, no markup."""
    collector = _TextCollector()
    collector.feed(html)
    collector.close()
    return tidy("".join(collector.parts))


def tidy(text: str) -> str:
    """Collapse runs of spaces and blank lines, trim; keeps single line breaks."""
    lines = [re.sub(r"[ \t\r\f\v\u00a0]+", " ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def one_line(text: str, limit: int = 200) -> str:
    """A subject line: no line breaks, at most `limit` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def parse_timestamp(value: str) -> datetime:
    """ISO 8601 from RT/Zendesk ("2026-11-23T17:51:29Z") as an aware UTC datetime."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def ticket_header(ticket: ExternalTicket) -> str:
    """The lines put above the transcript so an agent sees who and what without opening the chat.

    A typed, unverified address is shown for the agent's judgement, never used as the requester."""
    name, email = ticket.requester_name, ticket.requester_email
    shopper = " ".join(part for part in (name, f"<{email}>" if email else None) if part) or "unknown"
    lines = [f"Reference: {ticket.reference}", f"Shopper: {shopper}"]
    if ticket.unverified_email:
        lines.append(f"E-mail given in the chat (unverified, not the requester): {ticket.unverified_email}")
    if ticket.tags:
        lines.append(f"Tags: {', '.join(ticket.tags)}")
    return "\n".join(lines)
