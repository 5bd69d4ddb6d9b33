"""Two runs started at the same moment with the same name each get a directory of their own."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.helpers import read_events, run_argv, run_dirs
from tests.e2e.warm import WarmLauncher, WarmProcess


def test_two_runs_started_together_with_one_name_get_two_directories(
    warm: WarmLauncher, runs_dir: Path, processes: list[WarmProcess]
) -> None:
    argv = run_argv(runs_dir, epochs=1, name="twin")
    out = runs_dir.parent
    # Forked back to back: both reach the mkdir within milliseconds, mostly in one second.
    twins = [
        warm.launch(argv, cwd=out, stdout=out / f"{n}.out", stderr=out / f"{n}.err")
        for n in range(2)
    ]
    processes.extend(twins)
    assert [twin.wait(60) for twin in twins] == [0, 0], [t.output() for t in twins]

    dirs = run_dirs(runs_dir)
    names = [d.name for d in dirs]
    assert len(names) == 2 and all(n.endswith(("-twin", "-twin-2")) for n in names), names
    if names[1].endswith("-2"):  # started in the same second: the later one is numbered
        assert names[1] == f"{names[0]}-2"
    owners = set()
    for run in dirs:
        status = json.loads((run / "status.json").read_text())
        owners.add(status["pid"])
        [started] = [e for e in read_events(run) if e["type"] == "run_started"]
        assert started["run_dir"] == str(run)  # each wrote only into its own
        assert read_events(run)[-1]["status"] == "completed"
    assert owners == {twin.pid for twin in twins}
