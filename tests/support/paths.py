"""Where the project's files and the optional shared material are."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
#: Beside the checkout, or where ``$AGGREGATOR_SHARED`` says (a worktree kept elsewhere).
SHARED = Path(os.environ.get("AGGREGATOR_SHARED") or REPO.parent / "shared")
DATA = REPO / "tests" / "data"
