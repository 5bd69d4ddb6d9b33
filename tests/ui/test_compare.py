"""`tuitrain compare`: overlaid epoch curves and a table of the best results."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from tests.ui.fakes import epoch_end, started, step, validated
from tests.ui.rundirs import write_run
from tests.ui.screen import screen_text, shows, until
from tuitrain.engine import events as ev
from tuitrain.ui.compare import CompareApp, load_run, short_name, unique_names
from tuitrain.ui.widgets.bars import status_word


def adam_started() -> ev.RunStarted:
    base = started(epochs=4)
    preset = {**base.preset, "optim": {"kind": "adam", "lr": 3e-4, "betas": [0.9, 0.999]}}
    preset["model"] = {**preset["model"], "norm": "none"}
    return dataclasses.replace(base, preset_name="adam-nonorm", preset=preset)


def write_two_runs(tmp_path: Path) -> list[Path]:
    sgd = [started(epochs=4)]
    adam = [adam_started()]
    for e in range(1, 5):
        sgd += [step(e * 50), validated(e), epoch_end(e, epochs=4)]
        worse = dataclasses.replace(
            epoch_end(e, epochs=4), val_acc=0.3 + 0.1 * e, train_loss=2.0 / e, val_loss=2.2 / e
        )
        adam += [step(e * 50), worse]
    done = ev.Finished(
        status="completed",
        step=200,
        epoch=4,
        elapsed_s=20.0,
        best_metric="val_acc",
        best_value=0.62,
    )
    return [
        write_run(tmp_path / "20261127-181500-sgd", [*sgd, done]),
        write_run(
            tmp_path / "20261127-182000-adam",
            adam,
            torn='{"type":"epo',
            status="running",
            alive=True,
        ),
    ]


def test_runs_load_without_their_step_reports(tmp_path: Path) -> None:
    sgd_path, adam_path = write_two_runs(tmp_path)
    sgd, adam = load_run(sgd_path, 0), load_run(adam_path, 1)
    assert (sgd.name, adam.name) == ("sgd", "adam")
    assert sgd.history.step_loss.total == 0
    assert sgd.best_val_acc() == (epoch_end(4).val_acc, 4.0)
    assert adam.best_val_acc() == (0.7, 4.0)
    assert adam.history.status == "running"


def test_a_killed_run_is_compared_as_interrupted_not_running(tmp_path: Path) -> None:
    path = write_run(tmp_path / "20261127-183000-sgd", [started(), step(50)], status="running")
    run = load_run(path)
    assert run.history.outcome is not None and run.history.outcome.status == "interrupted"
    assert status_word(run.history) == "INTERRUPTED"


def test_names_stay_unique(tmp_path: Path) -> None:
    assert short_name("20261127-181500-adam") == "adam"
    assert short_name("my-run") == "my-run"
    runs = [load_run(p, i) for i, p in enumerate(write_two_runs(tmp_path))]
    runs[1].name = runs[0].name
    unique_names(runs)
    assert runs[0].name != runs[1].name


async def test_compare_overlays_curves_with_a_legend_and_a_table(tmp_path: Path) -> None:
    runs = [load_run(p, i) for i, p in enumerate(write_two_runs(tmp_path))]
    app = CompareApp(runs)
    async with app.run_test(size=(160, 30)) as pilot:
        text = await shows(pilot, "• sgd", "x adam", "best val acc", "validation accuracy")
        for word in (
            "sgd lr 0.1 mom 0.9",
            "adam lr 3e-4",
            "no norm layers",
            "batch norm",
            "FINISHED",
            "RUNNING",
            "4/4",
        ):
            assert word in text, word
        sgd_row = next(row for row in text.splitlines() if "• sgd" in row and "demo" in row)
        assert "62.0%" in sgd_row  # epoch 4's val acc: 0.7 - 0.08
        adam_row = next(row for row in text.splitlines() if "x adam" in row and "adam-" in row)
        assert "70.0%" in adam_row
        await pilot.press("t")
        await shows(pilot, "train and validation accuracy")
        await pilot.press("q")
        await until(pilot, lambda: app.return_code is not None)


async def test_compare_fits_80x24(tmp_path: Path) -> None:
    runs = [load_run(p, i) for i, p in enumerate(write_two_runs(tmp_path))]
    app = CompareApp(runs)
    async with app.run_test(size=(80, 24)) as pilot:
        await shows(pilot, "sgd", "adam", "best val acc")
        lines = screen_text(app).splitlines()
    assert len(lines) == 24


NOT_EVENTS = 'null\n42\n"s"\n[1,2]\n'


async def test_a_run_with_lines_that_are_not_events_is_compared_and_says_so(
    tmp_path: Path,
) -> None:
    sgd, adam = write_two_runs(tmp_path)
    lines = (sgd / "events.jsonl").read_text().splitlines(keepends=True)
    (sgd / "events.jsonl").write_text(lines[0] + NOT_EVENTS + "".join(lines[1:]))
    runs = [load_run(sgd, 0), load_run(adam, 1)]
    assert runs[0].history.last_epoch is not None and runs[0].history.last_epoch.epoch == 4
    assert runs[0].damaged.startswith("skipped 4 lines") and not runs[1].damaged
    app = CompareApp(runs)
    async with app.run_test(size=(120, 40)) as pilot:
        text = await shows(pilot, "skipped 4 lines")
        assert text.count("skipped 4 lines") == 1


async def test_compare_at_120_columns_shows_the_whole_table_and_the_users_scale(
    tmp_path: Path,
) -> None:
    sgd, adam = write_two_runs(tmp_path)
    scaled = ev.LRChanged(step=120, lr=0.05, previous=0.1, scale=0.5, source="ctl", reason="x0.5")
    with (sgd / "events.jsonl").open("a") as log:
        log.write(scaled.to_json() + "\n")
    runs = [load_run(p, i) for i, p in enumerate([sgd, adam])]
    app = CompareApp(runs)
    async with app.run_test(size=(120, 30)) as pilot:
        text = await shows(pilot, "• sgd", "x adam", "best val acc")
    for word in ("sgd lr 0.1 you ×0.5 mom 0.9", "adam lr 3e-4", "no norm layers", "batch norm"):
        assert word in text, word  # the setup column, the right-most, is not cut off
    assert "▏" not in text and "▕" not in text  # no horizontal scrollbar under the table
