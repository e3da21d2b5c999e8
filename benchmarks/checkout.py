"""The options of a benchmark that times this checkout's ``aggregator`` or another one's."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def checkout_arguments(doc: str, feeds: int, together: int | None = None) -> argparse.Namespace:
    """``--n`` (how many feeds, ``feeds`` by default) and ``--root`` (another checkout,
    put first on the import path so that its ``aggregator`` is the one imported); with
    ``together``, ``--together`` too (feeds recorded per transaction)."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=feeds, help="number of feeds")
    if together is not None:
        parser.add_argument("--together", type=int, default=together, help="feeds per transaction")
    parser.add_argument("--root", type=Path, help="the checkout whose aggregator to time")
    args = parser.parse_args()
    if args.root:
        sys.path.insert(0, str(args.root.resolve()))
    return args
