"""After a python-target run: resume imports the user's files again and says which; view,
compare, export and runs never import them; a changed file is reported, not a traceback."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.e2e.helpers import of_type, read_events, the_run_dir, tuitrain
from tests.e2e.warm import WarmLauncher, WarmProcess
from tuitrain.ui import describe

USER = Path(__file__).resolve().parents[1] / "fixtures" / "user"
TRAPPED = (
    "from pathlib import Path\n"
    "Path(__file__).with_name('imported.marker').write_text('imported')\n"
    "raise ImportError('this file must not be imported')\n"
)
"""What nets.py becomes after training: importing it leaves a marker, then fails."""


@pytest.fixture
def trained(warm: WarmLauncher, runs_dir: Path, processes: list[WarmProcess]) -> tuple[Path, Path]:
    """A finished one-epoch run of a copy of the user's files; (the copy's folder, the run)."""
    folder = runs_dir.parent / "project"
    folder.mkdir()
    for name in ("nets.py", "corners.py", "user.yaml"):
        shutil.copy(USER / name, folder / name)
    argv = ["run", str(folder / "user.yaml"), "--runs-dir", str(runs_dir), "--headless"]
    process = warm.launch(
        [*argv, "--set", "train.epochs=1"],
        cwd=runs_dir.parent,
        stdout=runs_dir.parent / "run.out",
        stderr=runs_dir.parent / "run.err",
    )
    processes.append(process)
    assert process.wait(120) == 0, process.output()
    return folder, the_run_dir(runs_dir)


def test_runs_export_view_and_compare_never_import_the_users_code(
    trained: tuple[Path, Path], runs_dir: Path
) -> None:
    folder, run = trained
    (folder / "nets.py").write_text(TRAPPED)
    listed = tuitrain("runs", "--runs-dir", str(runs_dir))
    assert listed.returncode == 0, listed.stderr
    assert "python nets.py:TinyNet (384)" in listed.stdout
    exported = tuitrain("export", run.name, "--runs-dir", str(runs_dir))
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.startswith("epoch,")
    # view and compare describe a run from its run_started event, as here:
    [started] = of_type(read_events(run), "run_started")
    assert describe.model(describe.complete(started["preset"])) == "python nets.py:TinyNet"
    assert not (folder / "imported.marker").exists()


def test_resume_imports_the_files_again_and_reports_one_that_changed(
    trained: tuple[Path, Path], runs_dir: Path, warm: WarmLauncher, processes: list[WarmProcess]
) -> None:
    folder, run = trained

    def resume() -> WarmProcess:
        argv = ["resume", run.name, "--epochs", "2", "--runs-dir", str(runs_dir), "--headless"]
        out = runs_dir.parent / f"resume-{len(processes)}"
        process = warm.launch(
            argv,
            cwd=runs_dir.parent,
            stdout=out.with_suffix(".out"),
            stderr=out.with_suffix(".err"),
        )
        processes.append(process)
        return process

    # Changed so that the saved weights no longer fit: named, exit 2, the run kept.
    nets = (folder / "nets.py").read_text()
    (folder / "nets.py").write_text(nets.replace("2 * width", "3 * width"))
    changed = resume()
    assert changed.wait(120) == 2, changed.output()
    assert f"importing {folder / 'nets.py'} again" in changed.stderr()
    assert "no checkpoint of this run fits its preset's model" in changed.output()
    assert f"the model's code in {folder / 'nets.py'} changed since" in changed.output()

    # A file that fails to import: the user's own traceback, exit 2.
    (folder / "nets.py").write_text(TRAPPED)
    broken = resume()
    assert broken.wait(120) == 2, broken.output()
    assert "ImportError: this file must not be imported" in broken.output()
    assert f"importing {folder / 'nets.py'}" in broken.output()

    # Restored, it resumes and trains its second epoch.
    (folder / "nets.py").write_text(nets)
    restored = resume()
    assert restored.wait(120) == 0, restored.output()
    assert of_type(read_events(run), "finished")[-1]["epoch"] == 2
