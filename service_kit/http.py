"""HTTP plumbing shared by the backends: the {"error": {...}} shape, bearer auth and body validation.

Services differ only in their exception type, the 503 wording and which headers survive an
aiohttp error, so those are parameters; everything else is one copy."""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError, best_match
from sqlalchemy.exc import DBAPIError

from service_kit.errors import BadRequest, DomainError, Invalid

logger = logging.getLogger(__name__)

SPEC = web.AppKey("openapi_spec", dict)
TOKEN = web.AppKey("api_token", str)
VALIDATORS = web.AppKey("body_validators", dict)

# /metrics checks its own token, the scraper's (service_kit/observability.py).
PUBLIC_PATHS = frozenset({"/health", "/openapi.json", "/metrics"})
HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
}
INTERNAL_ERROR = DomainError("Something went wrong on our side.")  # status 500, code "internal_error"


class ApiFailure(Protocol):
    """What error_middleware needs from a service's own exception class."""

    status: int
    code: str
    message: str


def error_response(
    status: int,
    code: str,
    message: str,
    fields: dict[str, str] | None = None,
    details: dict[str, Any] | None = None,
) -> web.Response:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    if details:
        error["details"] = details
    return web.json_response({"error": error}, status=status)


def make_error_middleware(
    expected: type[Exception],
    unavailable: ApiFailure,
    *,
    log: logging.Logger = logger,
    forward_headers: tuple[str, ...] = ("Allow", "WWW-Authenticate"),
    invalid: tuple[type[Exception], ...] = (),
    unexpected: ApiFailure = INTERNAL_ERROR,
    body_limit: str = "64 KiB",
) -> Middleware:
    """Every failure leaves as {"error": {"code", "message"}}; nothing escapes as a bare 500.

    `expected` errors carry status/code/message (and maybe fields, and details for clients that word
    the error themselves); `unavailable` is the reply when
    the database cannot be reached, since each service words it for its own data. A service that
    validates input by raising plain exceptions (ValueError) names them in `invalid`: their text becomes
    a 422 "invalid_request". `unexpected` answers any other exception (logged with its traceback);
    `body_limit` words the 413 after the app's client_max_size."""

    @web.middleware
    async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except expected as error:
            failure: Any = error
            fields, details = getattr(failure, "fields", None), getattr(failure, "details", None)
            return error_response(failure.status, failure.code, failure.message, fields, details)
        except web.HTTPException as error:
            if error.status < 400:
                raise
            code = HTTP_CODES.get(error.status, "http_error")
            message = f"Request body too large (limit {body_limit})." if error.status == 413 else error.reason
            response = error_response(error.status, code, message)
            for header in forward_headers:
                if header in error.headers:
                    response.headers[header] = error.headers[header]
            return response
        except invalid as error:
            return error_response(422, "invalid_request", str(error))
        except (DBAPIError, OSError) as error:
            log.error("database unavailable for %s %s: %s", request.method, request.path, error)
            return error_response(unavailable.status, unavailable.code, unavailable.message)
        except Exception:
            log.exception("unexpected error for %s %s", request.method, request.path)
            return error_response(unexpected.status, unexpected.code, unexpected.message)

    return error_middleware


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Bearer token from app[TOKEN]; compare_digest so timing does not leak the token."""
    if request.path in PUBLIC_PATHS:
        return await handler(request)
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    expected = request.app[TOKEN]
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), expected.encode()):
        response = error_response(401, "unauthorized", "A valid bearer token is required.")
        response.headers["WWW-Authenticate"] = "Bearer"
        return response
    return await handler(request)


async def serve_spec(request: web.Request) -> web.Response:
    """GET /openapi.json: the spec the app was built with."""
    return web.json_response(request.app[SPEC])


def body_validators(
    spec: dict[str, Any],
    names: Iterable[str],
    schema_for: Callable[[dict[str, Any], str], dict[str, Any]],
    format_checker: FormatChecker = Draft202012Validator.FORMAT_CHECKER,
) -> dict[str, Draft202012Validator]:
    """One validator per request-body schema, built once at startup rather than per request.

    jsonschema checks "date-time" only with an optional package installed, so a service whose
    bodies carry date-times passes a `format_checker` that knows the format."""
    return {name: Draft202012Validator(schema_for(spec, name), format_checker=format_checker) for name in names}


async def read_json(request: web.Request, malformed: Callable[[str], Exception]) -> Any:
    """Parses the body; aiohttp itself refuses bodies above client_max_size (413)."""
    try:
        return json.loads(await request.read())
    except (ValueError, UnicodeDecodeError) as error:
        raise malformed(f"The request body is not valid JSON: {error}.") from None


def schema_problem(request: web.Request, schema: str, data: Any) -> tuple[str, ValidationError] | None:
    """The most relevant validation error and where it is ("body" for the top level), or None."""
    problem = best_match(request.app[VALIDATORS][schema].iter_errors(data))
    if problem is None:
        return None
    return "/".join(str(p) for p in problem.absolute_path) or "body", problem


async def validated_json(
    request: web.Request,
    schema: str,
    explain: Callable[[str, ValidationError], tuple[str, str]] | None = None,
) -> Any:
    """The body, parsed and checked against the named schema of the spec: 400 for malformed JSON, 422
    naming the field otherwise. `explain` may name the field and say the problem in the shop's words."""
    data = await read_json(request, BadRequest)
    problem = schema_problem(request, schema, data)
    if problem is not None:
        where, error = problem
        where, message = explain(where, error) if explain else (where, error.message)
        raise Invalid(f"Invalid {where}: {message}", fields={where: message})
    return data
