import shutil
import subprocess
import sys
import zipfile
from pathlib import Path


def test_openmp_waits_passively_unless_the_user_chose() -> None:
    code = "import os, tuitrain, torch; print(os.environ['OMP_WAIT_POLICY'])"
    env_free = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert env_free.stdout.strip() == "PASSIVE"
    chosen = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"OMP_WAIT_POLICY": "ACTIVE", "PATH": "/usr/bin:/bin"},
    )
    assert chosen.stdout.strip() == "ACTIVE"


def test_the_wheel_carries_the_mit_license(tmp_path: Path) -> None:
    # What `pip install tuitrain` gets: the wheel is built from a copy of the sources.
    root = Path(__file__).resolve().parents[1]
    assert (root / "LICENSE").read_text().startswith("MIT License")
    source = tmp_path / "src"
    shutil.copytree(
        root / "tuitrain", source / "tuitrain", ignore=shutil.ignore_patterns("__pycache__")
    )
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(root / name, source / name)
    built = subprocess.run(
        [
            sys.executable,
            "-c",
            f"from setuptools import build_meta as b; print(b.build_wheel({str(tmp_path)!r}))",
        ],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert built.returncode == 0, built.stderr[-2000:]
    wheel = tmp_path / built.stdout.strip().splitlines()[-1]
    with zipfile.ZipFile(wheel) as archive:
        licenses = [name for name in archive.namelist() if name.endswith("/LICENSE")]
        assert licenses, archive.namelist()
        assert archive.read(licenses[0]).decode().startswith("MIT License")
        metadata = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        assert "MIT" in archive.read(metadata).decode()
