"""The line `tuitrain attach` leaves in the shell once its monitor closes."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.ui.fakes import started, step
from tests.ui.rundirs import write_run
from tuitrain.cli_watch import _goodbye
from tuitrain.engine import events as ev
from tuitrain.ui.history import RunHistory

RUN = Path("/runs/20261127-181500-default")


def closed_monitor(*events: ev.Event, stop_sent: bool = False) -> SimpleNamespace:
    history = RunHistory()
    for event in events:
        history.ingest(event)
    return SimpleNamespace(history=history, stop_sent=stop_sent)


def test_detaching_from_a_live_run_says_how_to_return() -> None:
    app = closed_monitor(started(), step(5))
    assert _goodbye(app, RUN) == (  # type: ignore[arg-type]
        "[detached from 20261127-181500-default: still training; "
        "tuitrain attach 20261127-181500-default to return]"
    )


def test_a_stopped_run_says_how_to_resume() -> None:
    app = closed_monitor(started(), step(5), stop_sent=True)
    assert "tuitrain resume 20261127-181500-default" in _goodbye(app, RUN)  # type: ignore[arg-type]


def test_a_run_that_ended_while_watched_says_how_it_ended() -> None:
    done = ev.Finished(
        status="completed", step=9, epoch=1, elapsed_s=1.0, best_metric="val_acc", best_value=0.5
    )
    app = closed_monitor(started(), step(5), done)
    assert _goodbye(app, RUN) == "[20261127-181500-default: finished]"  # type: ignore[arg-type]


def test_the_full_screen_commands_refuse_a_pipe_instead_of_hanging(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tuitrain.cli import main

    run = write_run(tmp_path / "20261127-181500-default", [started(), step(5)])
    for argv in (["view", str(run)], ["compare", str(run), str(run)], ["attach", str(run)]):
        assert main(argv) == 2  # pytest's captured stdout is no terminal
        err = capsys.readouterr().err
        assert f"tuitrain {argv[0]} needs a terminal" in err and "hint:" in err, err


def test_view_without_a_run_takes_the_newest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tuitrain.cli import main

    runs = tmp_path / "runs"
    write_run(runs / "20261127-181500-default", [started(), step(5)])
    newest = write_run(runs / "20261127-191500-adam", [started(), step(5)])
    assert main(["view", "--runs-dir", str(runs)]) == 2  # no terminal here; the hint names it
    assert f"tuitrain export {newest}" in capsys.readouterr().err
    assert main(["view", "--runs-dir", str(tmp_path / "none")]) == 2
    assert "no runs in" in capsys.readouterr().err


def test_attach_to_a_run_that_is_not_running_exits_3_and_suggests_view(tmp_path: Path) -> None:
    from tuitrain.control.attach import attach_link
    from tuitrain.control.errors import NotRunning

    runs = tmp_path / "runs"
    with pytest.raises(NotRunning, match="tuitrain view shows the newest") as nothing:
        attach_link(None, runs)
    run = write_run(runs / "20261127-181500-default", [started(), step(5)])
    with pytest.raises(NotRunning, match=f"to look at it: tuitrain view {run.name}") as ended:
        attach_link("default", runs)
    assert nothing.value.exit_code == ended.value.exit_code == 3


def test_the_readme_lists_every_exit_code_tuitrain_uses() -> None:
    import re

    from tuitrain import exitcodes
    from tuitrain.control import errors

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    listed = readme.split("Exit codes:", 1)[1].split("\n\n", 1)[0]
    documented = {int(code) for code in re.findall(r"(?<![\w.-])(\d+) [a-z(]", listed)}
    used = {
        value
        for module in (exitcodes, errors)
        for name, value in vars(module).items()
        if name.isupper() and isinstance(value, int)
    }
    assert used <= documented, used - documented
