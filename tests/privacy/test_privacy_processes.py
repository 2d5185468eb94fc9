"""`python -m privacy.desk` (the desk as the launcher starts it) and `python -m privacy` as real processes
over seeded SQLite stores: the API exports and erases, the command then finds nothing personal."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from privacy.requests import DATABASES, Stores
from tests.handoff.test_handoff_process import call, up
from tests.privacy.privacy_support import SHOPPERS
from tests.support.servers import free_port, wait_until
from tools.privacy_seed import seed

REPO = Path(__file__).resolve().parents[2]
JANE = SHOPPERS[0]
ADMIN_PASSWORD = "privacy officer password"


def stack_env(tmp_path: Path) -> dict[str, str]:
    urls = {name: f"sqlite+aiosqlite:///{tmp_path / name}.sqlite" for name in DATABASES}
    prefixes = ("HANDOFF_", "ORDERS_", "PRICING_", "RECS_", "RETENTION_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env.update(
        PYTHONPATH=str(REPO),
        ASSISTANT_VAR=str(tmp_path),
        ORDERS_DB_URL=urls["orders"],
        PRICING_DB_URL=urls["pricing"],
        RECS_DB_URL=urls["recommendations"],
        HANDOFF_DB_URL=urls["handoff"],
        RETENTION_DB_URL=urls["retention"],
        TRACKER_DB_URL=urls["tracker"],
        MAIL_OUTBOX_DIR=str(tmp_path / "mail-outbox"),
    )
    env.pop("SMTP_HOST", None)
    return env


async def seed_files(env: dict[str, str]) -> None:
    stores = Stores.from_env(env)
    await seed(stores, SHOPPERS)
    await stores.aclose()


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    env = stack_env(tmp_path)
    asyncio.run(seed_files(env))
    port = free_port()
    env.update(
        HANDOFF_API_TOKEN="privacy-test-token-0123456789",
        HANDOFF_PORT=str(port),
        HANDOFF_ADMIN_PASSWORD=ADMIN_PASSWORD,
        HANDOFF_SESSION_SECRET="y" * 40,
        HANDOFF_RELAY_TOKEN="relay",
        HANDOFF_AGENT_HOURS="always",
        RASA_URL="http://127.0.0.1:9",
    )
    log = (tmp_path / "desk.log").open("w")
    process = subprocess.Popen([sys.executable, "-m", "privacy.desk"], cwd=REPO, env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: up(url + "/health") or process.poll() is not None, 30, "the desk")
        assert process.poll() is None, (tmp_path / "desk.log").read_text()
        yield url, env
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) is not None
        log.close()


def privacy_command(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "privacy", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )


def test_desk_api_erases_and_the_command_finds_nothing(desk: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    url, env = desk
    status, _, headers = call(url + "/desk/api/login", {"name": "admin", "password": ADMIN_PASSWORD})
    assert status == 200
    cookie = {"Cookie": headers["Set-Cookie"].split(";")[0]}
    status, document, _ = call(
        f"{url}/desk/api/privacy/export?email={JANE.email}&phone=%2B1415{JANE.index:07d}", headers=cookie
    )
    assert status == 200, document
    assert len(document["stores"]["tracker_store"]["conversations"]) == 3

    status, report, _ = call(url + "/desk/api/privacy/erase", {"email": JANE.email, "phone": JANE.phone}, cookie)
    assert status == 200, report
    assert report["stores"]["orders"]["anonymised"]["orders"] == len(JANE.order_numbers)

    out = tmp_path / "export.json"
    done = privacy_command(env, "export", "--email", JANE.email, "--phone", JANE.phone, "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    after = json.loads(out.read_text())
    stores_text = json.dumps(after["stores"])
    assert all(value not in stores_text for value in JANE.personal_values)
    other = json.loads(privacy_command(env, "export", "--customer-id", SHOPPERS[1].customer_id).stdout)
    assert len(other["stores"]["orders"]["orders"]) == len(SHOPPERS[1].order_numbers)


def test_the_command_refuses_a_request_naming_nobody(tmp_path: Path) -> None:
    done = privacy_command(stack_env(tmp_path), "export")
    assert done.returncode != 0 and "name the shopper" in done.stderr
