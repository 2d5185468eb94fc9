# The two commands of the README, and a few conveniences. Everything is in Python scripts so it
# can be read; make only names the entry points.

.PHONY: run test setup start stop status lint format bench

run:      ## set everything up and start the assistant (Ctrl-C stops it)
	python3 bot/launcher.py run

test:     ## set up and run the whole test suite
	python3 tests/run_all.py

setup:
	python3 bot/launcher.py setup

start:
	python3 bot/launcher.py start

stop:
	python3 bot/launcher.py stop

status:
	python3 bot/launcher.py status

lint:     ## ruff, the import-linter contracts (layers) and mypy: the lint steps of `make test`
	python3 tests/run_all.py lint

format:
	.venv-services/bin/ruff format . && .venv-services/bin/ruff check --fix .
