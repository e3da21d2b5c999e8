"""Run the commands under test as an installed package runs: from compiled bytecode.

``pip install`` compiles a package's modules when it installs them, and Python keeps
the bytecode of the modules it imports. A developer's shell may say
``PYTHONDONTWRITEBYTECODE=1``; then every timed command would compile the whole
package again first, a cost no installed service pays. The peer (reader, installed
from PyPI) is compiled already.
"""

from __future__ import annotations

import compileall
import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "aggregator"


def compiled_env() -> dict[str, str]:
    """This environment, with aggregator's bytecode compiled and Python allowed to use it."""
    compileall.compile_dir(PACKAGE, quiet=1)
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
