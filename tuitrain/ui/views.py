"""Entry points for the command line: `tuitrain view RUN` and `tuitrain compare RUN RUN...`.

Both take run directories (resolving names is the command line's business) and return the
process exit status. Bad paths raise UserError before any screen is drawn.
"""

from __future__ import annotations

from pathlib import Path

from tuitrain.config.train import MonitorSettings
from tuitrain.errors import UserError
from tuitrain.runs.files import EVENTS
from tuitrain.ui.app import MonitorApp
from tuitrain.ui.compare import CompareApp, load_run, unique_names
from tuitrain.ui.replay import RunDirLink


def check_run_dir(run_dir: Path) -> None:
    if not run_dir.is_dir():
        raise UserError(f"{run_dir} is not a directory", hint="tuitrain runs lists the runs")
    if not (run_dir / EVENTS).is_file():
        raise UserError(f"{run_dir} has no {EVENTS}: is it a tuitrain run directory?")


def view_run(run_dir: Path, settings: MonitorSettings | None = None) -> int:
    """Show a finished or running run, read-only, with the live monitor's panels.

    Returns 0 once the user quits (viewing a failed run is not itself a failure), or the
    monitor's own error status if it crashed."""
    check_run_dir(run_dir)
    link = RunDirLink(run_dir)
    app = MonitorApp(link, settings or MonitorSettings(), f"tuitrain view {run_dir.name}")
    try:
        app.run()
    finally:
        link.close()
    return app.return_code or 0


def compare_runs(run_dirs: list[Path]) -> int:
    """Overlay several runs' epoch curves, with a table of their best results."""
    if not run_dirs:
        raise UserError("compare needs at least one run directory")
    for run_dir in run_dirs:
        check_run_dir(run_dir)
    runs = [load_run(path, index) for index, path in enumerate(run_dirs)]
    unique_names(runs)
    app = CompareApp(runs, f"tuitrain compare {' '.join(r.name for r in runs)}")
    app.run()
    return app.return_code or 0
