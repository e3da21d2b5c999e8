"""``python -m aggregator``."""

from aggregator.cli import run

run()
