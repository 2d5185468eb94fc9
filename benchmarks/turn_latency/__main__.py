"""`python -m benchmarks.turn_latency ...` (run from the repository root); the options are in cli.py."""

import sys

from benchmarks.turn_latency.cli import main

sys.exit(main())
