"""The load balancer in front of several Rasa workers (ASSISTANT_RASA_WORKERS > 1): HAProxy.

    python3 bot/balancer.py          # started by the launcher's supervisor, as the process "balancer"

Any Rasa worker can take any message of any conversation once they share the tracker store and the
lock store (PostgreSQL and Redis, bot/endpoints.postgres.yml): the lock store makes the turns of
one conversation wait for each other, whichever workers they reach. Two kinds of traffic:

- HTTP (REST, app, voice and hand-off webhooks, Rasa's HTTP API) goes to the least busy worker;
- socket.io (the web widget) is sticky by client address: engine.io long-polling sends each request
  of one connection on its own, and the worker that opened the connection must get them all. Behind
  a proxy or ingress that hides client addresses, make that one sticky instead (docs/scaling.md).

A request is sent to another worker when the first refused the connection or closed it without a
byte of answer (`retry-on conn-failure empty-response`, each retry on another worker). The second
is what a killed worker does to the messages still in its listen queue: for a moment after the kill
its port accepts connections, then resets them (measured; `tests/launcher/test_rasa_balancer.py`).
A worker that died after reading a message had not stored its turn (Rasa saves the tracker at the
end of the turn, just before it answers), and the lock store makes the retry wait for its lock, so
the retry is the turn the shopper would otherwise have sent again by hand. A slow answer is never
retried: that worker may still be working on the message. Workers are health-checked
(`GET /`); one that stops answering is taken out within seconds and back when it answers again.

Standard library only, like the launcher: it writes the configuration and becomes HAProxy.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

MAX_WORKERS = 32
WORKER_PORT_OFFSET = 10  # worker i listens on RASA_PORT + 10 + i unless RASA_WORKER_PORT says otherwise
CONFIG_NAME = "haproxy.cfg"


class BalancerError(SystemExit):
    """A setting that cannot work: said once, clearly, instead of a worker that never comes up."""


def rasa_workers(env: dict[str, str]) -> int:
    """How many Rasa processes serve conversations: 1 (no balancer) unless ASSISTANT_RASA_WORKERS says more."""
    raw = env.get("ASSISTANT_RASA_WORKERS", "1").strip() or "1"
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_WORKERS:
        raise BalancerError(f"ASSISTANT_RASA_WORKERS must be a whole number from 1 to {MAX_WORKERS}, not {raw!r}")
    workers = int(raw)
    if workers > 1 and env.get("ASSISTANT_STORE") != "postgres":
        raise BalancerError(
            "ASSISTANT_RASA_WORKERS > 1 needs stores the workers share: set ASSISTANT_STORE=postgres with the "
            "PostgreSQL tracker store and the Redis lock store (docs/scaling.md). The embedded stores live in "
            "one process."
        )
    return workers


def worker_ports(env: dict[str, str]) -> list[int]:
    first = int(env.get("RASA_WORKER_PORT") or int(env["RASA_PORT"]) + WORKER_PORT_OFFSET + 1)
    return [first + index for index in range(rasa_workers(env))]


def haproxy_binary() -> str:
    binary = shutil.which("haproxy") or next(
        (str(p) for p in (Path("/usr/sbin/haproxy"), Path("/usr/local/sbin/haproxy")) if p.exists()), None
    )
    if binary is None:
        raise BalancerError("several Rasa workers need HAProxy as their load balancer: `sudo apt-get install haproxy`")
    return binary


def haproxy_config(env: dict[str, str]) -> str:
    """HAProxy's configuration for the workers of this stack (only client errors and worker changes are logged:
    request lines carry conversation ids and tokens)."""
    servers = "\n".join(
        f"    server rasa-{index} 127.0.0.1:{port}" for index, port in enumerate(worker_ports(env), start=1)
    )
    bind = f"{env.get('ASSISTANT_HOST', '127.0.0.1')}:{env['RASA_PORT']}"
    return f"""\
global
    maxconn {env.get("BALANCER_MAX_CONNECTIONS", "4096")}
    log stdout format raw local0 notice

defaults
    mode http
    log global
    option dontlog-normal
    option forwardfor
    timeout connect 3s
    timeout http-request 15s
    timeout client 90s
    timeout server 90s
    timeout tunnel 1h
    retries 2
    option redispatch 1
    retry-on conn-failure empty-response
    option http-buffer-request
    default-server check inter 2s fall 2 rise 1

frontend rasa
    bind {bind}
    acl socketio path_beg /socket.io
    use_backend socketio if socketio
    default_backend workers

backend workers
    balance leastconn
    option httpchk GET /
    http-check expect status 200
{servers}

backend socketio
    balance source
    hash-type consistent
    option httpchk GET /
    http-check expect status 200
{servers}
"""


def main() -> None:
    env = dict(os.environ)
    binary = haproxy_binary()
    run_dir = Path(env.get("ASSISTANT_VAR", Path(__file__).resolve().parent.parent / "var")) / "run"
    run_dir.mkdir(parents=True, exist_ok=True)
    config = run_dir / CONFIG_NAME
    config.write_text(haproxy_config(env))
    sys.stdout.flush()
    os.execv(binary, [binary, "-db", "-f", str(config)])  # -db: stay in the foreground, under the supervisor


if __name__ == "__main__":
    main()
