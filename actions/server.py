"""The action server: rasa-sdk's server, answering only Rasa.

    python -m actions.server --actions actions --port 5055   # the options of `python -m rasa_sdk`

The action server believes the conversation state it is sent (slots such as ``verified_orders``,
the customer id the app channel verified), so whoever can call ``/webhook`` can cancel or
re-address any order. rasa-sdk has no authentication of its own, and a plain ``POST`` with
``Content-Type: text/plain`` needs no CORS preflight, so any web page open in a browser on this
machine could send it one. This entry point starts rasa-sdk's own server (same CLI, same app)
with a request middleware that refuses:

- any request carrying an ``Origin`` header (403): Rasa never sends one, browsers always do;
- a request without ``Authorization: Bearer <ACTIONS_API_TOKEN>`` (401, compared in constant time;
  Rasa sends it from ``action_endpoint.headers`` in bot/endpoints.yml);
- a ``POST`` whose body is not ``application/json`` (415).

``/health`` stays open for the launcher, and ``/metrics`` answers only the scraper's ``METRICS_TOKEN``
(actions/observability.py). The server listens on 127.0.0.1 unless SANIC_HOST says
otherwise (the launcher sets it to 127.0.0.1).

The middleware is attached through rasa-sdk's plugin hook (``attach_sanic_app_extensions``) by
the package ``rasa_sdk_plugins``, which rasa-sdk discovers in every worker process it spawns;
``main`` refuses to start when that package is not found, so the guard cannot be left out silently.
"""

from __future__ import annotations

import hmac
import logging
import os
import sys
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any

import pluggy
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

TOKEN_VARIABLE = "ACTIONS_API_TOKEN"
MIN_TOKEN_CHARS = 32
# /metrics answers only the scraper's METRICS_TOKEN (actions/observability.py).
OPEN_PATHS = frozenset({"/health", "/metrics"})
JSON = "application/json"

logger = logging.getLogger(__name__)
hookimpl = pluggy.HookimplMarker("rasa_sdk")


@dataclass(frozen=True)
class Refusal:
    status: int
    error: str
    message: str


def refusal_for(request: Request, token: str) -> Refusal | None:
    """Why the request must not reach an action (None when it may)."""
    if request.path in OPEN_PATHS:
        return None
    if "origin" in request.headers:
        return Refusal(403, "forbidden", "requests from web pages are not accepted")
    offered = request.headers.get("authorization") or ""
    if not hmac.compare_digest(offered.encode(), f"Bearer {token}".encode()):
        return Refusal(401, "unauthorized", f"'Authorization: Bearer <{TOKEN_VARIABLE}>' is required")
    media_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if request.method == "POST" and media_type != JSON:
        return Refusal(415, "unsupported_media_type", f"the body must be {JSON}")
    return None


def token_guard(token: str) -> Callable[[Request], Coroutine[Any, Any, HTTPResponse | None]]:
    """A Sanic request middleware that answers refused requests itself."""

    async def guard(request: Request) -> HTTPResponse | None:
        refusal = refusal_for(request, token)
        if refusal is None:
            return None
        logger.warning(
            "action server refused %s %s from %s: %s", request.method, request.path, request.ip, refusal.message
        )
        return response.json({"error": refusal.error, "message": refusal.message}, status=refusal.status)

    return guard


class TokenGuardPlugin:
    """rasa-sdk calls ``attach_sanic_app_extensions`` on its app before it starts serving."""

    NAME = "shop-assistant-token-guard"

    def __init__(self, token: str) -> None:
        self.token = token

    @hookimpl
    def attach_sanic_app_extensions(self, app: Sanic) -> None:
        app.register_middleware(token_guard(self.token), "request")


def configured_token(environ: Mapping[str, str] = os.environ) -> str:
    """The shared token, or SystemExit: without one the action server must not start."""
    token = environ.get(TOKEN_VARIABLE, "")
    if len(token) < MIN_TOKEN_CHARS:
        raise SystemExit(
            f"{TOKEN_VARIABLE} must be set to a random secret of at least {MIN_TOKEN_CHARS} characters "
            "(bot/launcher.py generates one into var/secrets.env); Rasa sends it from bot/endpoints.yml."
        )
    return token


def main(argv: list[str] | None = None) -> None:
    # Imported here: rasa-sdk's imports are heavy, and the checks above are tested without them.
    from rasa_sdk.__main__ import main_from_args
    from rasa_sdk.endpoint import create_argument_parser
    from rasa_sdk.plugin import plugin_manager
    from rasa_sdk.utils import number_of_sanic_workers

    configured_token()
    if plugin_manager().get_plugin(TokenGuardPlugin.NAME) is None:
        raise SystemExit("rasa_sdk_plugins (the token guard) was not found: start from the repository root")
    os.environ.setdefault("SANIC_HOST", "127.0.0.1")
    args = create_argument_parser().parse_args(sys.argv[1:] if argv is None else argv)
    if number_of_sanic_workers() == 1 and not (args.grpc or args.auto_reload):
        serve_in_one_process(args)
    else:
        main_from_args(args)


def serve_in_one_process(args: Any) -> None:
    """rasa-sdk's HTTP server (`rasa_sdk.endpoint.run`) without Sanic's worker manager.

    For one worker, Sanic 25 still starts a manager process, the worker, and multiprocessing's
    resource tracker and state process: about 127 MiB RSS more than serving in this process
    (benchmarks/stack_memory.py). More workers (ACTION_SERVER_SANIC_WORKERS) go through rasa-sdk's
    own `run`."""
    from rasa_sdk import utils
    from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
    from rasa_sdk.endpoint import create_app_for_serve, create_ssl_config
    from rasa_sdk.executor import ActionExecutor

    utils.configure_colored_logging(args.loglevel)
    utils.configure_file_logging(
        logging.getLogger(APPLICATION_ROOT_LOGGER_NAME), args.log_file, args.loglevel, args.logging_config_file
    )
    utils.update_sanic_log_level()
    executor = ActionExecutor()
    executor.register_package(args.actions_module or args.actions)
    app = create_app_for_serve(executor, cors_origins=args.cors, endpoints=args.endpoints)
    ssl = create_ssl_config(args.ssl_certificate, args.ssl_keyfile, args.ssl_password)
    app.prepare(host=os.environ["SANIC_HOST"], port=args.port, ssl=ssl, single_process=True)
    Sanic.serve_single(primary=app)


if __name__ == "__main__":
    main()
