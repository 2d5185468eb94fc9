"""The desk's privacy API: export or erase everything the stack holds about one shopper.

`GET /desk/api/privacy/export?email=…` (or `customer_id=`, `phone=`) answers the export document;
`POST /desk/api/privacy/erase` with `{"email": …, "dry_run": true}` erases (or says what it would).
Only agents named in HANDOFF_PRIVACY_AGENTS (default `admin`) may call them; every call is written
to the desk's audit log without the shopper's identifiers (the log outlives the erasure).

The desk does not search the other stores itself (a service never imports another one): the
request handler is given to `create_app`, and `python -m privacy.desk` (what the launcher starts)
gives it the coordinator of `privacy/`. A desk started without one answers 503 here."""

from __future__ import annotations

import logging
from typing import Any, Protocol

from aiohttp import web

from contracts.privacy import Subject
from handoff.api import SERVICE
from handoff.desk import agent
from service_kit import http
from service_kit.errors import BadRequest, Forbidden, Invalid, Unavailable

logger = logging.getLogger(__name__)

IDENTIFIERS = ("customer_id", "email", "phone")
MAX_IDENTIFIER = 254


class SubjectRequests(Protocol):
    """What `privacy.requests.SubjectRequests` offers the desk."""

    async def export(self, subject: Subject) -> dict[str, Any]: ...

    async def erase(self, subject: Subject, *, dry_run: bool) -> dict[str, Any]: ...

    async def aclose(self) -> None: ...


PRIVACY = web.AppKey("privacy_requests", SubjectRequests)
OFFICERS = web.AppKey("privacy_agents", frozenset)
routes = web.RouteTableDef()


@routes.get("/desk/api/privacy/access")
async def access(request: web.Request) -> web.Response:
    """Whether the desk page shows this agent its Privacy button (the requests check again)."""
    return web.json_response({"officer": agent(request).name in request.app[OFFICERS]})


@routes.get("/desk/api/privacy/export")
async def export(request: web.Request) -> web.Response:
    requests = _allowed(request)
    subject = _subject(dict(request.query))
    document = await requests.export(subject)
    await _audit(request, "privacy_export", subject, {})
    return web.json_response(document, headers={"Cache-Control": "no-store"})


@routes.post("/desk/api/privacy/erase")
async def erase(request: web.Request) -> web.Response:
    requests = _allowed(request)
    body = await http.read_json(request, BadRequest)
    if not isinstance(body, dict):
        raise Invalid("The body must be a JSON object.")
    dry_run = body.get("dry_run", False)
    if not isinstance(dry_run, bool):
        raise Invalid("dry_run must be true or false.", fields={"dry_run": "must be a boolean"})
    subject = _subject(body)
    report = await requests.erase(subject, dry_run=dry_run)
    await _audit(request, "privacy_erase_dry_run" if dry_run else "privacy_erase", subject, report["stores"])
    return web.json_response(report, headers={"Cache-Control": "no-store"})


def _allowed(request: web.Request) -> SubjectRequests:
    me = agent(request).name
    if me not in request.app[OFFICERS]:
        logger.warning("agent %s refused a privacy request (not in HANDOFF_PRIVACY_AGENTS)", me)
        raise Forbidden("Only the shop's privacy agents (HANDOFF_PRIVACY_AGENTS) may do this.")
    if PRIVACY not in request.app:
        raise Unavailable(
            "This desk was started without the privacy coordinator (run `python -m privacy.desk`).",
            code="privacy_not_configured",
        )
    return request.app[PRIVACY]


def _subject(given: dict[str, Any]) -> Subject:
    values: dict[str, str | None] = {}
    for name in IDENTIFIERS:
        value = given.get(name)
        if value is not None and (not isinstance(value, str) or len(value) > MAX_IDENTIFIER):
            raise Invalid(f"Invalid {name}: text of at most {MAX_IDENTIFIER} characters.", fields={name: "invalid"})
        values[name] = value
    try:
        return Subject.named(**values)
    except ValueError as error:
        raise Invalid(str(error), fields={name: "one of these is required" for name in IDENTIFIERS}) from None


async def _audit(request: web.Request, action: str, subject: Subject, counts: dict[str, Any]) -> None:
    """Which kind of identifier was used, never its value: the audit log is kept after the erasure."""
    named_by = sorted(
        name
        for name, values in (
            ("customer_id", subject.customer_ids),
            ("email", subject.emails),
            ("phone", subject.phones),
        )
        if values
    )
    detail = {"named_by": named_by, "stores": counts}
    await request.app[SERVICE].store.audit(agent(request).name, None, action, detail)
