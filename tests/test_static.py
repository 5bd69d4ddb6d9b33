"""Static checks of the whole package, so that CI proves them: the import contracts in
pyproject.toml (lint-imports) and the type check (mypy). Each failure names the command to run."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _tool(name: str) -> str:
    """The console script installed beside this interpreter (the venv's), else on PATH."""
    beside = Path(sys.executable).with_name(name)
    return str(beside) if beside.exists() else (shutil.which(name) or name)


def test_the_import_contracts_hold() -> None:
    """Engine, config, data, runs and the wording never import textual or rich; config never
    imports torch; the monitor never imports torch nor the engine's internals (pyproject.toml,
    [tool.importlinter]). Lazy imports inside functions count too."""
    result = subprocess.run(
        [_tool("lint-imports"), "--no-cache"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, (
        "an import contract is broken; run `lint-imports` in the repository root to see it\n"
        + result.stdout[-4000:]
        + result.stderr[-2000:]
    )


def test_the_package_type_checks() -> None:
    """mypy on the whole package, strict on tuitrain/engine and tuitrain/config (pyproject.toml,
    [tool.mypy]). Its cache lives in the temp folder, so a second run takes seconds."""
    checkout = hashlib.sha256(str(ROOT).encode()).hexdigest()[:12]
    cache = Path(tempfile.gettempdir()) / f"tuitrain-mypy-{checkout}"
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "tuitrain", "--cache-dir", str(cache)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, (
        "the type check failed; run `mypy tuitrain` in the repository root to see it\n"
        + result.stdout[-6000:]
        + result.stderr[-2000:]
    )


def test_validate_and_presets_never_load_torch() -> None:
    """What no static check sees: the command line imports a command's modules only when it
    runs, so `tuitrain validate` and `tuitrain presets` answer without loading torch."""
    code = (
        "import sys\n"
        "from tuitrain.cli import main\n"
        "assert main(['validate', 'default', 'cifar10-fast']) == 0\n"
        "assert main(['presets']) == 0\n"
        "assert 'torch' not in sys.modules, 'validate imported torch'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
