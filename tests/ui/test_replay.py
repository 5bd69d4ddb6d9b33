"""`tuitrain view`: replaying a run directory, and tailing one that is still being written."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ui.fakes import epoch_end, history_events, step, validated
from tests.ui.rundirs import append, set_status, write_run
from tests.ui.screen import screen_text, shows, until
from tuitrain.config.train import MonitorSettings
from tuitrain.engine import events as ev
from tuitrain.errors import UserError
from tuitrain.ui.app import MonitorApp
from tuitrain.ui.replay import RunDirLink
from tuitrain.ui.views import check_run_dir

LR_CUT = ev.LRChanged(
    step=160, lr=0.05, previous=0.1, scale=1.0, source="schedule", reason="plateau"
)


def make_app(link: RunDirLink) -> MonitorApp:
    return MonitorApp(link, MonitorSettings(refresh_hz=10), "view")


async def test_a_finished_run_is_replayed_read_only(tmp_path: Path) -> None:
    finished = ev.Finished(
        status="completed",
        step=500,
        epoch=10,
        elapsed_s=50.0,
        best_metric="val_acc",
        best_value=0.59,
    )
    run = write_run(tmp_path / "20261127-181500-demo", [*history_events(), LR_CUT, finished])
    link = RunDirLink(run, poll_s=0.05)
    app = make_app(link)
    async with app.run_test(size=(80, 24)) as pilot:
        text = await shows(pilot, "FINISHED", "finished: completed", "LR 0.1 → 0.05")
        assert "epoch 3/10" in text
        assert "best val_acc 59.0%" in text  # a percentage, as everywhere else
        await pilot.press("p")
        await shows(pilot, "pause not sent: the run has ended")
        await pilot.press("q")
        await until(pilot, lambda: app.return_code is not None)
    assert app.return_code == 0


async def test_a_live_run_is_tailed_and_a_torn_line_is_read_once_complete(
    tmp_path: Path,
) -> None:
    epoch_four = epoch_end(4).to_json() + "\n"
    run = write_run(
        tmp_path / "live", history_events(), status="running", torn=epoch_four[:40], alive=True
    )
    link = RunDirLink(run, poll_s=0.05)
    app = make_app(link)
    async with app.run_test(size=(80, 24)) as pilot:
        await shows(pilot, "RUNNING", "epoch 3/10: train")
        assert "epoch 4/10: train" not in screen_text(app)
        append(run, epoch_four[40:] + step(201).to_json() + "\n")
        await shows(pilot, "epoch 4/10: train", "step 201")
        append(run, validated(5).to_json() + "\n")
        set_status(run, "completed")
        append(
            run,
            ev.Finished(
                status="completed",
                step=250,
                epoch=5,
                elapsed_s=25.0,
                best_metric="val_acc",
                best_value=0.6,
            ).to_json()
            + "\n",
        )
        await shows(pilot, "FINISHED", "finished: completed")
    assert app.history.val_acc.x_range() == (1.0, 5.0)
    link.close()


async def test_a_run_whose_process_died_shows_as_interrupted(tmp_path: Path) -> None:
    run = write_run(tmp_path / "dead", history_events(), status="running", torn='{"type":"st')
    link = RunDirLink(run, poll_s=0.05)
    app = make_app(link)
    async with app.run_test(size=(80, 24)) as pilot:
        text = await shows(pilot, "INTERRUPTED", "log ends without a final event")
        assert "incomplete last line" in text


def test_a_path_that_is_not_a_run_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="not a directory"):
        check_run_dir(tmp_path / "missing")
    with pytest.raises(UserError, match=r"no events\.jsonl"):
        check_run_dir(tmp_path)


def test_history_is_read_in_chunks_without_losing_a_line(tmp_path: Path) -> None:
    events = history_events()
    run = write_run(tmp_path / "chunks", events)
    got: list[ev.Event] = []
    link = RunDirLink(run, poll_s=0.01, chunk=300)  # smaller than the RunStarted line
    link.start(got.append)
    link._thread.join(timeout=5)  # type: ignore[union-attr]
    assert [e.to_json() for e in got[: len(events)]] == [e.to_json() for e in events]
    assert isinstance(got[-1], ev.Finished) and got[-1].source == "view"


async def test_lines_that_are_not_events_are_skipped_and_said_once(tmp_path: Path) -> None:
    finished = ev.Finished(
        status="completed", step=500, epoch=10, elapsed_s=50.0, best_metric="val_acc",
        best_value=0.59,
    )  # fmt: skip
    run = write_run(tmp_path / "20261127-181500-demo", [*history_events(), finished])
    lines = (run / "events.jsonl").read_text().splitlines(keepends=True)
    (run / "events.jsonl").write_text(lines[0] + "null\n42\n[1,2]\n" + "".join(lines[1:]))
    app = make_app(RunDirLink(run, poll_s=0.05))
    async with app.run_test(size=(100, 30)) as pilot:
        text = await shows(pilot, "FINISHED", "epoch 3/10", "skipped 3 lines")
        assert text.count("skipped 3 lines") == 1
        await pilot.press("q")
