"""The monitor must start fast: none of its modules may pull in torch."""

from __future__ import annotations

import subprocess
import sys


def test_the_monitor_never_imports_torch() -> None:
    code = (
        "import sys\n"
        "import tuitrain.ui.app, tuitrain.ui.views, tuitrain.ui.local, tuitrain.ui.compare\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
