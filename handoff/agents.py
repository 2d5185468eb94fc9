"""Manage desk agents: `python -m handoff.agents add NAME [--display-name "Alex P."]` (asks for the
password, or reads it from HANDOFF_NEW_AGENT_PASSWORD for scripts), `passwd NAME`, `disable NAME`,
`enable NAME`, `list`. Uses HANDOFF_DB_URL like the service."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import re
import sys

from handoff.config import default_db_url
from handoff.db import create_tables
from handoff.passwords import hash_password
from handoff.store import TicketStore
from service_kit.db import make_engine, make_sessions

NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


def read_password() -> str:
    from_env = os.environ.get("HANDOFF_NEW_AGENT_PASSWORD")
    if from_env:
        return from_env
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Again: "):
        sys.exit("The passwords differ.")
    return first


async def run(args: argparse.Namespace) -> str:
    engine = make_engine(os.environ.get("HANDOFF_DB_URL") or default_db_url(os.environ))
    try:
        await create_tables(engine)
        store = TicketStore(make_sessions(engine))
        if args.command == "list":
            agents = await store.list_agents()
            return "\n".join(
                f"{a['name']}\t{a['display_name']}\t{'active' if a['active'] else 'disabled'}" for a in agents
            )
        name = args.name.lower()
        if args.command in ("add", "passwd"):
            if args.command == "passwd" and await store.agent(name) is None:
                sys.exit(f"There is no agent {name!r}.")
            if args.command == "add" and await store.agent(name) is not None:
                sys.exit(f"Agent {name!r} exists; use 'passwd' to set a new password.")
            try:
                hashed = hash_password(read_password())
            except ValueError as error:
                sys.exit(str(error))
            display = args.display_name if args.command == "add" and args.display_name else ""
            await store.upsert_agent(name, display or name.capitalize(), hashed)
            return f"agent {name}: password set"
        await store.set_agent_active(name, args.command == "enable")
        return f"agent {name}: {args.command}d"
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m handoff.agents", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add", help="create an agent")
    add.add_argument("name")
    add.add_argument("--display-name", help="shown to shoppers, e.g. 'Alex'")
    for command in ("passwd", "disable", "enable"):
        sub.add_parser(command).add_argument("name")
    sub.add_parser("list")
    args = parser.parse_args(argv)
    if getattr(args, "name", None) is not None and not NAME.match(args.name.lower()):
        sys.exit("Agent names are 1-64 lowercase letters, digits, '.', '_' or '-'.")
    print(asyncio.run(run(args)))


if __name__ == "__main__":
    main()
