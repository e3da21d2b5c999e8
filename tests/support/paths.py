"""Where the project's files and the optional shared material are."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data"


def _shared() -> Path:
    """``$AGGREGATOR_SHARED`` when set, else ``shared/`` beside the checkout (or beside the
    folder holding it, for a git worktree kept one level deeper)."""
    if os.environ.get("AGGREGATOR_SHARED"):
        return Path(os.environ["AGGREGATOR_SHARED"])
    candidates = [REPO.parent / "shared", REPO.parent.parent / "shared"]
    return next((c for c in candidates if c.is_dir()), candidates[0])


SHARED = _shared()
