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
from contextlib import contextmanager
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
        # The seeded rows are from 2026-10-01: no sweep may take them from under these tests.
        CONVERSATION_RETENTION_DAYS="off",
    )
    env.pop("SMTP_HOST", None)
    return env


async def seed_files(env: dict[str, str]) -> None:
    stores = Stores.from_env(env)
    await seed(stores, SHOPPERS)
    await stores.aclose()


@contextmanager
def running_desk(tmp_path: Path, **extra_env: str) -> Iterator[tuple[str, dict[str, str]]]:
    """`python -m privacy.desk` over the seeded SQLite stores, as the launcher starts it."""
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
        **extra_env,
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


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    with running_desk(tmp_path) as running:
        yield running


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


def expire_command(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "privacy.expire", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )


def test_the_desk_expires_old_conversations_at_start(tmp_path: Path) -> None:
    """The seeded conversations and tickets are older than a day: the desk's first sweep takes them."""
    with running_desk(tmp_path, CONVERSATION_RETENTION_DAYS="1") as (_, env):
        wait_until(lambda: "conversation expiry" in (tmp_path / "desk.log").read_text(), 30, "the first sweep")
        line = next(x for x in (tmp_path / "desk.log").read_text().splitlines() if "conversation expiry" in x)
        conversations = 3 * len(SHOPPERS)
        assert f"tracker store {conversations} conversations" in line, line
        assert f"desk {len(SHOPPERS)} closed tickets" in line, line
        env = {**env, "CONVERSATION_RETENTION_DAYS": "1"}
        again = expire_command(env)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["stores"] == {
        "tracker_store": {"deleted": {}, "anonymised": {}},
        "handoff": {"deleted": {}, "anonymised": {}},
    }
    after = json.loads(privacy_command(env, "export", "--email", JANE.email, "--phone", JANE.phone).stdout)
    assert after["stores"]["tracker_store"]["conversations"] == []
    assert after["stores"]["handoff"]["tickets"] == []


def test_the_command_dry_run_and_off(tmp_path: Path) -> None:
    env = stack_env(tmp_path)
    asyncio.run(seed_files(env))
    off = expire_command(env)
    assert off.returncode == 0, off.stderr
    assert json.loads(off.stdout)["expiry"] == "off"

    dry = expire_command(env, "--days", "1", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    report = json.loads(dry.stdout)
    assert report["dry_run"] is True
    assert report["stores"]["tracker_store"]["deleted"]["conversations"] == 3 * len(SHOPPERS)
    assert report["stores"]["handoff"]["anonymised"]["tickets"] == len(SHOPPERS)
    export = json.loads(privacy_command(env, "export", "--email", JANE.email).stdout)
    assert len(export["stores"]["tracker_store"]["conversations"]) == 2  # app and web; the call is found by phone

    wrong = expire_command({**env, "CONVERSATION_RETENTION_DAYS": "0"})
    assert wrong.returncode != 0 and "CONVERSATION_RETENTION_DAYS" in wrong.stderr
