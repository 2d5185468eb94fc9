"""Secrets off command lines and out of logs, a private state directory, no shopper text in the logs.

Checked on a real stack started by the launcher: every process's /proc entry, every file under var/.
"""

from __future__ import annotations

import re
from pathlib import Path

import psutil

from benchmarks import process_memory
from tests.e2e.conftest import Stack
from tests.e2e.conversation import Conversation

# Sent by the shopper and found nowhere in the catalogue, policies or bot texts: if it is in a log,
# the log holds what the shopper wrote.
DISTINCTIVE = "quokkaberry"


def stack_processes(stack: Stack) -> list[psutil.Process]:
    """Every process of the stack: the supervisor, the services and their children."""
    found = []
    for pid in process_memory.read_pid_dir(stack.var / "run").values():
        root = psutil.Process(pid)
        found += [root, *root.children(recursive=True)]
    return found


def secret_values(stack: Stack) -> dict[str, str]:
    return {name: value for name, value in stack.secrets.items() if len(value) >= 16}


def test_no_secret_on_any_command_line(reliability_stack: Stack) -> None:
    processes = stack_processes(reliability_stack)
    names = {Path(p.cmdline()[0]).name for p in processes if p.cmdline()}
    assert len(processes) >= 11 and "python" in " ".join(names), names  # 10 services + the supervisor
    for process in processes:
        cmdline = Path(f"/proc/{process.pid}/cmdline").read_bytes().decode(errors="replace")
        leaked = [name for name, value in secret_values(reliability_stack).items() if value in cmdline]
        assert not leaked, f"pid {process.pid} ({cmdline[:80]!r}) shows {leaked} on its command line"
    rasa = psutil.Process(reliability_stack.pid("rasa"))
    assert "bot.rasa_server" in rasa.cmdline(), "Rasa is started through the wrapper that reads the token"


def test_the_rasa_api_still_needs_the_token_the_launcher_passed_in_the_environment(reliability_stack: Stack) -> None:
    import requests

    url = f"{reliability_stack.rasa_url}/status"
    assert requests.get(url, timeout=10).status_code == 401
    token = reliability_stack.secrets["RASA_API_TOKEN"]
    assert requests.get(url, params={"token": token}, timeout=10).status_code == 200


def test_state_directory_secrets_databases_and_logs_are_private(reliability_stack: Stack) -> None:
    var = reliability_stack.var
    assert var.stat().st_mode & 0o777 == 0o700
    assert (var / "secrets.env").stat().st_mode & 0o777 == 0o600
    files = [p for p in var.rglob("*") if p.is_file() and not p.is_symlink()]
    assert any(p.suffix == ".sqlite" for p in files) and any(p.suffix == ".log" for p in files)
    readable = [str(p.relative_to(var)) for p in files if p.stat().st_mode & 0o077]
    assert not readable, f"readable by other users: {readable}"
    for process in stack_processes(reliability_stack):
        umask = re.search(r"^Umask:\s*(\d+)", Path(f"/proc/{process.pid}/status").read_text(), re.MULTILINE)
        assert umask and umask.group(1) == "0077", (process.pid, process.cmdline()[:3])


def test_shopper_text_and_secrets_stay_out_of_the_logs(reliability_stack: Stack) -> None:
    stack = reliability_stack
    order = stack.order("shipped", 4)
    chat = Conversation(stack.rasa_url)
    chat.say(f"do you have the {DISTINCTIVE} shirt in large?")  # product search: graph /search and /resolve
    chat.say(f"what is your {DISTINCTIVE} policy?")  # a question without an answer
    chat.say(f"tell me something about {DISTINCTIVE}")
    assert "order number" in chat.say("where is my order?").lower()
    chat.say(order["order_number"])
    assert order["order_number"] in chat.say(order["email"])
    logs = {p.name: p.read_text(errors="replace") for p in (stack.var / "logs").glob("*.log")}
    assert {"rasa.log", "actions.log", "graph.log", "orders.log"} <= set(logs), sorted(logs)
    assert any("/search" in text or "/resolve" in text for text in logs.values()), "the graph was asked"
    for name, text in logs.items():
        assert DISTINCTIVE not in text.lower(), f"shopper text in {name}"
        assert order["email"] not in text, f"the shopper's e-mail address in {name}"
        leaked = [secret for secret, value in secret_values(stack).items() if value in text]
        assert not leaked, f"{leaked} in {name}"
