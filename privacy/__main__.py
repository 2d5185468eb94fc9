"""`python -m privacy export|erase --email … | --customer-id … | --phone …` (erase: `--dry-run`).

Reads the stores from the same variables the services use (the launcher's var/secrets.env is not
read here: run it with the stack's environment, e.g. `set -a; . var/secrets.env`). Prints the JSON
document, or writes it to `--out` (mode 0600: it is the shopper's personal data)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from contracts.privacy import Subject
from privacy.requests import Stores, SubjectRequests


async def run(args: argparse.Namespace) -> dict[str, Any]:
    subject = Subject.named(customer_id=args.customer_id, email=args.email, phone=args.phone)
    requests = SubjectRequests(Stores.from_env())
    try:
        if args.command == "export":
            return await requests.export(subject)
        return await requests.erase(subject, dry_run=args.dry_run)
    finally:
        await requests.aclose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m privacy", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for command in ("export", "erase"):
        one = sub.add_parser(command)
        one.add_argument("--customer-id")
        one.add_argument("--email")
        one.add_argument("--phone")
        one.add_argument("--out", type=Path, help="write the JSON here instead of printing it")
        if command == "erase":
            one.add_argument("--dry-run", action="store_true", help="say what would be erased, change nothing")
    args = parser.parse_args(argv)
    try:
        document = asyncio.run(run(args))
    except ValueError as error:
        sys.exit(f"privacy: {error}")
    text = json.dumps(document, indent=2, ensure_ascii=False)
    if args.out is None:
        print(text)
        return
    descriptor = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(text + "\n")


if __name__ == "__main__":
    main()
