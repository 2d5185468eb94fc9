"""A whole assistant stack for end-to-end tests: real processes, on their own ports and state.

The stack is started once per test session through the same launcher operators use, in a
temporary state directory (its own SQLite databases, secrets and logs) with the trained model
from `var/models` (or RASA_MODEL). Tests talk to it over HTTP and socket.io like real clients.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
LAUNCHER = [sys.executable, str(REPO / "bot" / "launcher.py")]  # the launcher is standard-library only
BASE_PORT = int(os.environ.get("E2E_BASE_PORT", "17000"))


def trained_model() -> Path:
    explicit = os.environ.get("RASA_MODEL")
    model = Path(explicit) if explicit else REPO / "var" / "models" / "shop-assistant.tar.gz"
    if not model.exists():
        pytest.fail(f"no trained model at {model}: run `python3 bot/launcher.py train` first", pytrace=False)
    return model


@dataclass
class Stack:
    var: Path
    env: dict[str, str]
    secrets: dict[str, str]
    demo_orders: dict[str, list[dict]] = field(default_factory=dict)
    scenarios: dict[str, list[dict]] = field(default_factory=dict)

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.env['RASA_PORT']}"

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.env['WEB_PORT']}"

    @property
    def orders_url(self) -> str:
        return f"http://127.0.0.1:{self.env['ORDERS_PORT']}"

    @property
    def desk_url(self) -> str:
        return f"http://127.0.0.1:{self.env['HANDOFF_PORT']}"

    @property
    def actions_url(self) -> str:
        return f"http://127.0.0.1:{self.env['ACTIONS_PORT']}"

    def launcher(self, *args: str) -> None:
        subprocess.run([*LAUNCHER, *args], env=self.env, check=True, timeout=600)

    def pid(self, process: str) -> int | None:
        path = self.var / "run" / f"{process}.pid"
        return int(path.read_text()) if path.exists() else None

    def kill(self, process: str) -> None:
        """Kill one process hard, as a crash would (no clean shutdown), and keep it down until restart().

        The `.down` file tells the launcher's supervisor not to restart it (`launcher stop NAME` does the same)."""
        pid = self.pid(process)
        assert pid, f"{process} is not running"
        (self.var / "run" / f"{process}.down").write_text("held down by the tests\n")
        os.killpg(pid, 9)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        (self.var / "run" / f"{process}.pid").unlink(missing_ok=True)

    def crash(self, process: str) -> int:
        """kill -9 one process and leave it to the supervisor to restart; returns the killed pid."""
        pid = self.pid(process)
        assert pid, f"{process} is not running"
        os.killpg(pid, 9)
        return pid

    def restart(self) -> None:
        """Start whatever is held down and wait until every process answers (running ones are left alone)."""
        self.launcher("start")

    def order(self, status: str, index: int = 0) -> dict:
        orders = self.demo_orders.get(status) or []
        if len(orders) <= index:
            pytest.fail(f"the demo data has no {index + 1}. order in status {status}", pytrace=False)
        return orders[index]


# A developer's own settings for these must not leak into the test stack.
STACK_VARIABLE_PREFIXES = (
    "RASA_",
    "ORDERS_",
    "ACTIONS_",
    "WEB_",
    "KG_",
    "RECS_",
    "PRICING_",
    "NEO4J_",
    "VOICE_",
    "SENTIMENT_",
    "SATISFACTION_",  # SATISFACTION_SURVEY=off would silence the rating the e2e tests expect
    "HANDOFF_",
    "RETENTION_",
    "SMTP_",
    "MAIL_",
    "ASSISTANT_",  # e.g. ASSISTANT_RASA_WORKERS, ASSISTANT_STORE: each stack says what it runs
    "WEBCHAT_",
    "ABANDONED_CART",  # the test stacks keep the default delay unless a test says otherwise
)
# Built by the setup step (`bot/launcher.py setup`, tests/run_all.py) into the repository's var/.
SENTIMENT_MODEL = Path(os.environ.get("SENTIMENT_MODEL_DIR", REPO / "var" / "models" / "sentiment"))
PRODUCT_ENCODERS = Path(os.environ.get("SEMANTIC_MODEL_CACHE", REPO / "var" / "models" / "product-encoder"))


# Stacks in the suite and their port offsets (each stack uses offset + 5 … offset + 108):
# 0 the shared stack, 300 bigger catalogues imported (test_product_search_chat_e2e), 500
# PostgreSQL/Redis/Neo4j (test_production_stores), 700 voice (tests/voice), 900 Request Tracker
# (test_handoff_external_tickets).
def stack_env(var: Path, port_offset: int, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(STACK_VARIABLE_PREFIXES)}
    env.update(
        ASSISTANT_VAR=str(var),
        ASSISTANT_MODEL=str(trained_model()),
        RASA_PORT=str(BASE_PORT + port_offset + 5),
        ACTIONS_PORT=str(BASE_PORT + port_offset + 55),
        ORDERS_PORT=str(BASE_PORT + port_offset + 101),
        KG_PORT=str(BASE_PORT + port_offset + 102),
        PRICING_PORT=str(BASE_PORT + port_offset + 103),
        RECS_PORT=str(BASE_PORT + port_offset + 104),
        WEB_PORT=str(BASE_PORT + port_offset + 80),
        VOICE_PORT=str(BASE_PORT + port_offset + 107),
        SENTIMENT_PORT=str(BASE_PORT + port_offset + 105),
        HANDOFF_PORT=str(BASE_PORT + port_offset + 106),
        RETENTION_PORT=str(BASE_PORT + port_offset + 108),
        SENTIMENT_MODEL_DIR=str(SENTIMENT_MODEL),
        SEMANTIC_MODEL_CACHE=str(PRODUCT_ENCODERS),
        HANDOFF_AGENT_HOURS="always",
        HANDOFF_OUTBOX_RETRY_S="1",
        **extra,
    )
    return env


def production_stores(pg: Any, redis: Any) -> dict[str, str]:
    """The launcher's settings for the production stores on throwaway servers (tests/support): a new
    tracker-store database on `pg` and the lock store on `redis` (ASSISTANT_STORE=postgres)."""
    return {
        "ASSISTANT_STORE": "postgres",
        "TRACKER_PG_HOST": pg.host,
        "TRACKER_PG_PORT": str(pg.port),
        "TRACKER_PG_DB": pg.create_database("rasa_tracker").rsplit("/", 1)[1],
        "TRACKER_PG_USER": pg.user,
        # The throwaway server trusts local connections; Rasa still needs a value to expand.
        "TRACKER_PG_PASSWORD": "not-checked-by-trust-auth",
        "LOCK_REDIS_HOST": redis.host,
        "LOCK_REDIS_PORT": str(redis.port),
    }


def start_stack(var: Path, env: dict[str, str]) -> Stack:
    stack = Stack(var=var, env=env, secrets={})
    stack.launcher("seed")
    secrets_file = var / "secrets.env"
    stack.secrets = dict(
        line.split("=", 1) for line in secrets_file.read_text().splitlines() if "=" in line and not line.startswith("#")
    )
    stack.env.update(stack.secrets)
    demo = var / "demo-orders.json"
    demo_data = json.loads(demo.read_text()) if demo.exists() else {}
    stack.demo_orders = demo_data.get("statuses", {})
    stack.scenarios = demo_data.get("scenarios", {})
    try:
        stack.launcher("start")
    except subprocess.CalledProcessError:
        stack.launcher("stop")
        raise
    return stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    var = tmp_path_factory.mktemp("stack")
    # A cart counts as abandoned after 3 s instead of 30 min (test_abandoned_cart_browser.py); only carts
    # posted with a conversation id are watched, and no other test posts one.
    started = start_stack(var, stack_env(var, port_offset=0, ABANDONED_CART_AFTER_S="3"))
    yield started
    started.launcher("stop")
