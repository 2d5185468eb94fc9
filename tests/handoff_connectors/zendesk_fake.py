"""A small Zendesk Support API v2 stand-in that checks requests against the published shapes.

Shapes follow Zendesk's API reference (checked 2026-11):
  Tickets (create, update, show):   https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/
  Ticket comments (list, sideload): https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_comments/
  Users (show self):                https://developer.zendesk.com/api-reference/ticketing/users/users/#show-self
  Offset pagination (next_page):    https://developer.zendesk.com/api-reference/introduction/pagination/
  Rate limits (429 + Retry-After):  https://developer.zendesk.com/api-reference/introduction/rate-limits/
  API token auth ({email}/token):   https://developer.zendesk.com/api-reference/introduction/security-and-auth/
  Idempotency-Key on ticket create: https://developer.zendesk.com/api-reference/ticketing/introduction/#idempotency
A request that does not match the documented shape gets the 400/422 Zendesk would send, so a test fails.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from aiohttp import web
from jsonschema import Draft202012Validator

EMAIL, API_TOKEN = "bot@shop.example", "zd-api-token-0123456789"
ME, AGENT = 1001, 1002
FIRST_COMMENT_ID = 900_000_000_001

COMMENT = {
    "type": "object",
    "properties": {
        "body": {"type": "string", "minLength": 1},
        "html_body": {"type": "string"},
        "public": {"type": "boolean"},
        "author_id": {"type": "integer"},
    },
    "required": ["body"],
    "additionalProperties": False,
}
CREATE = {
    "type": "object",
    "properties": {
        "ticket": {
            "type": "object",
            "properties": {
                "subject": {"type": "string", "minLength": 1},
                "comment": COMMENT,
                "requester": {
                    "type": "object",
                    "properties": {"name": {"type": "string"}, "email": {"type": "string"}},
                    "required": ["email"],
                    "additionalProperties": False,
                },
                "priority": {"enum": ["low", "normal", "high", "urgent"]},
                "tags": {"type": "array", "items": {"type": "string", "pattern": r"^\S+$"}},
                "external_id": {"type": "string"},
            },
            "required": ["comment"],
            "additionalProperties": False,
        }
    },
    "required": ["ticket"],
    "additionalProperties": False,
}
UPDATE = {
    "type": "object",
    "properties": {
        "ticket": {
            "type": "object",
            "properties": {
                "comment": COMMENT,
                "status": {"enum": ["new", "open", "pending", "hold", "solved", "closed"]},
            },
            "minProperties": 1,
            "additionalProperties": False,
        }
    },
    "required": ["ticket"],
    "additionalProperties": False,
}


def now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Injected:
    method: str
    path_suffix: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class FakeZendesk:
    users: dict[int, dict[str, Any]] = field(default_factory=dict)
    tickets: dict[int, dict[str, Any]] = field(default_factory=dict)
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)  # method, path_qs, headers
    idempotency: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    failures: list[Injected] = field(default_factory=list)
    base_url: str = ""
    _next_comment: int = FIRST_COMMENT_ID

    def __post_init__(self) -> None:
        self.users[ME] = {"id": ME, "name": "Shop Bot", "email": EMAIL, "role": "agent"}
        self.users[AGENT] = {"id": AGENT, "name": "Zoe Agent", "email": "zoe@shop.example", "role": "agent"}

    def fail_next(self, method: str, path_suffix: str, status: int, headers: dict[str, str] | None = None) -> None:
        self.failures.append(Injected(method, path_suffix, status, headers or {}))

    def hits(self, method: str, path_part: str) -> list[str]:
        return [path for verb, path, _ in self.requests if verb == method and path_part in path]

    def add_comment(self, ticket_id: int, author_id: int, body: str, public: bool, html: str | None = None) -> dict:
        """What Zendesk stores; html_body/plain_body derived the way Zendesk renders plain comments."""
        comment = {
            "id": self._next_comment,
            "type": "Comment",
            "author_id": author_id,
            "body": body,
            "html_body": html or f'<div class="zd-comment" dir="auto"><p>{body}</p></div>',
            "plain_body": body,
            "public": public,
            "attachments": [],
            "audit_id": self._next_comment + 1,
            "via": {"channel": "api", "source": {"from": {}, "to": {}, "rel": None}},
            "created_at": now(),
            "metadata": {"system": {}, "custom": {}},
        }
        self._next_comment += 10
        self.comments[ticket_id].append(comment)
        return comment

    def agent_reply(self, ticket_id: int, body: str, public: bool = True, html: str | None = None) -> dict:
        return self.add_comment(ticket_id, AGENT, body, public, html)

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        app.router.add_post("/api/v2/tickets.json", self._create)
        app.router.add_get("/api/v2/tickets/{id:\\d+}.json", self._show)
        app.router.add_put("/api/v2/tickets/{id:\\d+}.json", self._update)
        app.router.add_get("/api/v2/tickets/{id:\\d+}/comments.json", self._list_comments)
        app.router.add_get("/api/v2/users/me.json", self._me)
        return app

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.requests.append((request.method, request.path_qs, dict(request.headers)))
        expected = "Basic " + base64.b64encode(f"{EMAIL}/token:{API_TOKEN}".encode()).decode()
        if request.headers.get("Authorization") != expected:
            return web.json_response({"error": "Couldn't authenticate you"}, status=401)
        if "application/json" not in request.headers.get("Accept", ""):
            return web.Response(status=406, text="Accept: application/json is required")
        if request.method in ("POST", "PUT") and request.content_type != "application/json":
            return web.Response(status=400, text="Content-Type: application/json is required")
        for injected in self.failures:
            if injected.method == request.method and request.path.endswith(injected.path_suffix):
                self.failures.remove(injected)
                return web.json_response({"error": "injected"}, status=injected.status, headers=injected.headers)
        return await handler(request)

    async def _body(self, request: web.Request, schema: dict[str, Any]) -> dict[str, Any]:
        try:
            body = await request.json()
        except ValueError as exc:
            raise web.HTTPBadRequest(text=f"invalid JSON: {exc}") from exc
        errors = sorted(Draft202012Validator(schema).iter_errors(body), key=str)
        if errors:
            details = {"base": [{"description": f"{list(error.path)}: {error.message}"} for error in errors]}
            raise web.HTTPUnprocessableEntity(
                text=json.dumps(
                    {"error": "RecordInvalid", "description": "Record validation errors", "details": details}
                ),
                content_type="application/json",
            )
        return body

    def _ticket(self, request: web.Request) -> dict[str, Any]:
        ticket = self.tickets.get(int(request.match_info["id"]))
        if ticket is None:
            raise web.HTTPNotFound(
                text=json.dumps({"error": "RecordNotFound", "description": "Not found"}),
                content_type="application/json",
            )
        return ticket

    def _user_for(self, email: str, name: str | None) -> int:
        for user in self.users.values():
            if user["email"] == email:
                return user["id"]
        if "@" not in email:
            raise web.HTTPUnprocessableEntity(
                text=json.dumps(
                    {
                        "error": "RecordInvalid",
                        "description": "Record validation errors",
                        "details": {
                            "requester": [{"description": f"Requester: Email: {email} is not properly formatted"}]
                        },
                    }
                ),
                content_type="application/json",
            )
        user_id = 2000 + len(self.users)
        self.users[user_id] = {"id": user_id, "name": name or email, "email": email, "role": "end-user"}
        return user_id

    async def _create(self, request: web.Request) -> web.Response:
        raw = await request.read()
        key = request.headers.get("Idempotency-Key")
        if key and key in self.idempotency:
            seen_body, answer = self.idempotency[key]
            if seen_body != raw.decode():
                return web.json_response({"error": "IdempotentRequestError"}, status=400)
            return web.json_response(answer, status=201, headers={"x-idempotency-lookup": "hit"})
        data = (await self._body(request, CREATE))["ticket"]
        requester = data.get("requester")
        requester_id = self._user_for(requester["email"], requester.get("name")) if requester else ME
        ticket_id = 35436 + len(self.tickets)
        ticket = {
            "id": ticket_id,
            "url": f"{self.base_url}/api/v2/tickets/{ticket_id}.json",
            "subject": data.get("subject"),
            "raw_subject": data.get("subject"),
            "description": data["comment"]["body"],
            "priority": data.get("priority"),
            "status": "new",
            "requester_id": requester_id,
            "submitter_id": ME,
            "tags": data.get("tags", []),
            "external_id": data.get("external_id"),
            "created_at": now(),
            "updated_at": now(),
        }
        self.tickets[ticket_id] = ticket
        self.comments[ticket_id] = []
        self.add_comment(ticket_id, ME, data["comment"]["body"], data["comment"].get("public", True))
        answer = {"ticket": ticket, "audit": {"id": ticket_id * 10, "ticket_id": ticket_id}}
        if key:
            self.idempotency[key] = (raw.decode(), answer)
        return web.json_response(
            answer, status=201, headers={"Location": ticket["url"], "x-idempotency-lookup": "miss"}
        )

    async def _show(self, request: web.Request) -> web.Response:
        return web.json_response({"ticket": self._ticket(request)})

    async def _update(self, request: web.Request) -> web.Response:
        ticket = self._ticket(request)
        data = (await self._body(request, UPDATE))["ticket"]
        if "comment" in data:
            comment = data["comment"]
            author = comment.get("author_id", ME)
            if author not in self.users:
                return web.json_response({"error": "RecordInvalid", "description": "Invalid author"}, status=422)
            self.add_comment(ticket["id"], author, comment["body"], comment.get("public", True))
        if "status" in data:
            ticket["status"] = data["status"]
        ticket["updated_at"] = now()
        return web.json_response({"ticket": ticket, "audit": {"id": 1, "ticket_id": ticket["id"]}})

    async def _list_comments(self, request: web.Request) -> web.Response:
        ticket = self._ticket(request)
        try:
            page = int(request.query.get("page", "1"))
            per_page = int(request.query.get("per_page", "100"))
        except ValueError:
            return web.json_response({"error": "InvalidPaginationParameter"}, status=400)
        if page < 1 or not 1 <= per_page <= 100:
            return web.json_response({"error": "InvalidPaginationParameter"}, status=400)
        comments = self.comments[ticket["id"]]
        chunk = comments[(page - 1) * per_page : page * per_page]
        path = request.path

        def link(number: int) -> str:
            query = f"page={number}&per_page={per_page}"
            if request.query.get("include"):
                query += f"&include={request.query['include']}"
            return f"{self.base_url}{path}?{query}"

        body: dict[str, Any] = {
            "comments": chunk,
            "next_page": link(page + 1) if page * per_page < len(comments) else None,
            "previous_page": link(page - 1) if page > 1 else None,
            "count": len(comments),
        }
        if "users" in request.query.get("include", "").split(","):
            authors = {comment["author_id"] for comment in chunk}
            body["users"] = [self.users[user_id] for user_id in sorted(authors)]
        return web.json_response(body)

    async def _me(self, request: web.Request) -> web.Response:
        return web.json_response({"user": self.users[ME]})
