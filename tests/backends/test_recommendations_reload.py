"""Model hot reload: the real `train` command writes a new model file and the running service swaps
it in without a restart (file watch and POST /admin/reload); requests in flight keep the model they
started with; a broken or missing file never takes the service down."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from backends.recommendations import train as train_command
from backends.recommendations.api import SERVICE
from backends.recommendations.app import create_app
from backends.recommendations.demo import demo_items
from backends.recommendations.engine import Event, train
from backends.recommendations.items import ItemCatalogue
from backends.recommendations.settings import Settings
from tests.support.servers import free_port

TOKEN = "recs-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ITEMS = demo_items()
REPO = Path(__file__).resolve().parents[2]


async def call(client: TestClient, method: str, path: str, status: int = 200, **kwargs: Any) -> dict[str, Any]:
    response = await client.request(method, path, headers=AUTH, **kwargs)
    body = await response.json()
    assert response.status == status, body
    return body


def no_graph_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KG_", "RECS_"))}
    return {**env, "PYTHONPATH": str(REPO), "ASSISTANT_VAR": str(tmp_path / "var")}


async def run_train(db_url: str, model: Path, env: dict[str, str]) -> str:
    """The real command in its own process, as an operator (or cron) runs it."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "backends.recommendations.train",
        "--db-url",
        db_url,
        "--model",
        str(model),
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return out.decode()


@pytest.fixture
def model_path(tmp_path: Path) -> Path:
    return tmp_path / "model.pkl"


@pytest.fixture
async def client(aiohttp_client: Any, db_url: str, model_path: Path) -> TestClient:
    settings = Settings(model_path=model_path, model_poll_s=0.1)
    return await aiohttp_client(create_app(db_url, TOKEN, settings=settings, items=ITEMS))


async def test_the_train_command_reaches_the_running_service_without_restart(
    client: TestClient, db_url: str, model_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = await call(client, "GET", "/health")
    assert started["model"]["users"] == 0
    assert model_path.exists()  # trained from the (empty) log at startup and saved
    for n in range(4):
        for product in ("granite-hiking-boots", "merino-hiking-socks"):
            body = {"customer_id": f"H{n}", "product_id": product, "type": "purchase"}
            await call(client, "POST", "/interactions", 201, json=body)
    for shopper in ("NEW", "NEW2"):  # bought boots; no product on screen, so no accessory context
        body = {"customer_id": shopper, "product_id": "granite-hiking-boots", "type": "purchase"}
        await call(client, "POST", "/interactions", 201, json=body)
    query = "/recommendations?customer_id={}&personalisation_consent=true&k=10"
    before = await call(client, "GET", query.format("NEW"))
    assert all(item["source"] != "item_cf" for item in before["items"])  # the running model has no co-purchases

    output = await run_train(db_url, model_path, no_graph_env(tmp_path))
    assert "6 users" in output and "from the demo" in output

    for _ in range(100):  # the file watch polls every 0.1 s
        if (await call(client, "GET", "/health"))["model"]["users"] == 6:
            break
        await asyncio.sleep(0.1)
    else:
        pytest.fail("the retrained model was not picked up")
    after = await call(client, "GET", query.format("NEW2"))
    socks = next(item for item in after["items"] if item["product_id"] == "merino-hiking-socks")
    assert socks["source"] == "item_cf" and socks["reason"].startswith("people who bought Granite")

    forced = await call(client, "POST", "/admin/reload")
    assert forced["reloaded"] is True and forced["model"]["users"] == 6


async def test_broken_or_missing_model_file_keeps_the_old_model(
    client: TestClient, model_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    trained_at = (await call(client, "GET", "/health"))["model"]["trained_at"]
    model_path.write_bytes(b"not a pickle")
    caplog.set_level(logging.ERROR)
    broken = await call(client, "POST", "/admin/reload", 503)
    assert broken["error"]["code"] == "model_unreadable"
    await asyncio.sleep(0.3)  # the watcher tries too, logs, and carries on
    assert "could not be loaded" in caplog.text
    health = await call(client, "GET", "/health")
    assert health["model"]["trained_at"] == trained_at
    assert (await call(client, "GET", "/recommendations?customer_id=C1"))["items"]

    model_path.unlink()
    missing = await call(client, "POST", "/admin/reload", 404)
    assert (
        missing["error"]["code"] == "no_model_file" and "backends.recommendations.train" in missing["error"]["message"]
    )

    # A good file again: the watcher (still alive) picks it up.
    service = client.app[SERVICE]
    replacement = train(ITEMS, [Event("Z1", "aero-12", "purchase", datetime(2026, 3, 1, tzinfo=UTC))], service.clock())
    replacement.save(model_path)
    for _ in range(50):
        if (await call(client, "GET", "/health"))["model"]["users"] == 1:
            break
        await asyncio.sleep(0.1)
    else:
        pytest.fail("the watcher stopped after a broken file")


def titled(catalogue: ItemCatalogue, suffix: str) -> ItemCatalogue:
    return ItemCatalogue([replace(i, title=f"{i.title} {suffix}") for i in catalogue.items], catalogue.accessories)


class PausedSessions:
    """The service's real session factory, except that the `pause_at`-th session waits for the test
    before opening: a request is held between choosing its model and writing its list."""

    def __init__(self, sessions: Any, pause_at: int) -> None:
        self.sessions, self.pause_at, self.calls = sessions, pause_at, 0
        self.reached, self.release = asyncio.Event(), asyncio.Event()

    def __call__(self) -> Any:
        self.calls += 1
        session = self.sessions()
        if self.calls != self.pause_at:
            return session
        gate = self

        class Held:
            async def __aenter__(self) -> Any:
                gate.reached.set()
                await gate.release.wait()
                return await session.__aenter__()

            async def __aexit__(self, *exc: object) -> Any:
                return await session.__aexit__(*exc)

        return Held()


async def test_a_request_in_flight_finishes_on_the_model_it_started_with(client: TestClient, model_path: Path) -> None:
    now = datetime(2026, 3, 1, tzinfo=UTC)
    events = [Event(f"U{n}", p, "purchase", now) for n in range(6) for p in ("aero-12", "voltpath-20w-usb-c-charger")]
    files = {version: model_path.with_name(f"{version}.pkl") for version in ("v1", "v2")}
    for version, path in files.items():
        train(titled(ITEMS, version), events, now).save(path)
    model_path.write_bytes(files["v1"].read_bytes())
    assert (await call(client, "POST", "/admin/reload"))["reloaded"] is True

    service = client.app[SERVICE]
    # Sessions of one request: capping reads, the shopper's history, then (3rd) writing the list shown.
    service.sessions = PausedSessions(service.sessions, pause_at=3)
    in_flight = asyncio.create_task(
        call(client, "GET", "/recommendations?customer_id=R1&personalisation_consent=true&cart=aero-12&k=8")
    )
    await asyncio.wait_for(service.sessions.reached.wait(), 10)
    model_path.write_bytes(files["v2"].read_bytes())
    assert (await call(client, "POST", "/admin/reload"))["reloaded"] is True  # swapped mid-request
    service.sessions.release.set()
    answer = await in_flight
    assert answer["items"] and {item["title"].rsplit(" ", 1)[-1] for item in answer["items"]} == {"v1"}
    fresh = await call(client, "GET", "/recommendations?customer_id=R2&personalisation_consent=true&cart=aero-12&k=8")
    assert fresh["items"] and {item["title"].rsplit(" ", 1)[-1] for item in fresh["items"]} == {"v2"}


def test_train_refuses_without_a_catalogue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    """Graph configured but down and no snapshot: no item-less model is written."""
    for name, value in no_graph_env(tmp_path).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("KG_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("KG_API_TOKEN", "t")
    monkeypatch.setenv("RECS_GRAPH_STARTUP_WAIT_S", "2")  # not the 90 s a first start waits for the graph
    model = tmp_path / "m.pkl"
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'r.sqlite'}"
    assert train_command.main(["--db-url", db_url, "--model", str(model)]) == 1
    assert "not trained" in capsys.readouterr().err and not model.exists()


async def test_a_corrupt_model_file_at_startup_is_retrained_not_fatal(
    aiohttp_client: Any, db_url: str, model_path: Path
) -> None:
    model_path.write_bytes(b"\x80\x05 half a pickle")
    client = await aiohttp_client(create_app(db_url, TOKEN, settings=Settings(model_path=model_path), items=ITEMS))
    health = await call(client, "GET", "/health")
    assert health["model"]["items"] == len(ITEMS.items)
    assert health["model"]["catalogue_fingerprint"] == ITEMS.fingerprint()
    assert (await call(client, "POST", "/admin/reload"))["reloaded"] is True  # the retrained model was saved
