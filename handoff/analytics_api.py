"""The desk's analytics page API: the figures, plots and knowledge-base gaps for lead agents.

`GET /desk/api/analytics?grain=day|week` answers the report (analytics/report.py `as_json`);
`GET /desk/api/analytics/access` tells the page whether to show its Analytics button. Only agents
named in HANDOFF_LEAD_AGENTS (default `admin`) get the report: it shows every conversation's
unanswered questions, not only an agent's own tickets.

The desk does not read the other stores itself (a service never imports another one): the report
source is given to `create_app`, and `python -m privacy.desk` (what the launcher starts) gives it
`analytics.desk_source`. A desk started without one answers 503 here."""

from __future__ import annotations

import logging
from typing import Any, Protocol

from aiohttp import web

from handoff.desk import agent
from service_kit.errors import Forbidden, Invalid, Unavailable

logger = logging.getLogger(__name__)

GRAINS = ("day", "week")


class ReportSource(Protocol):
    """What `analytics.desk_source.DeskAnalytics` offers the desk."""

    async def report(self, grain: str) -> dict[str, Any]: ...

    async def aclose(self) -> None: ...


ANALYTICS = web.AppKey("analytics_source", ReportSource)
LEADS = web.AppKey("lead_agents", frozenset)
routes = web.RouteTableDef()


@routes.get("/desk/api/analytics/access")
async def access(request: web.Request) -> web.Response:
    return web.json_response({"lead": agent(request).name in request.app[LEADS]})


@routes.get("/desk/api/analytics")
async def report(request: web.Request) -> web.Response:
    me = agent(request).name
    if me not in request.app[LEADS]:
        logger.warning("agent %s refused the analytics page (not in HANDOFF_LEAD_AGENTS)", me)
        raise Forbidden("Only the shop's lead agents (HANDOFF_LEAD_AGENTS) may see the analytics.")
    if ANALYTICS not in request.app:
        raise Unavailable(
            "This desk was started without analytics (run `python -m privacy.desk`).", code="analytics_not_configured"
        )
    grain = request.query.get("grain", "day")
    if grain not in GRAINS:
        raise Invalid("grain must be day or week.", fields={"grain": "day or week"})
    document = await request.app[ANALYTICS].report(grain)
    return web.json_response(document, headers={"Cache-Control": "no-store"})
