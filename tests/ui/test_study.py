"""The study monitor: `t` switches to the study view (curves and a table filling in from the
run directories, claim verdicts); q asks, then stops every run of the study."""

from __future__ import annotations

import json
import signal
from pathlib import Path

from tests.ui.screen import screen_text, shows, until
from tuitrain.study.plan import Plan, PlannedRun, StudyDirectory
from tuitrain.ui.study import ConfirmStop, StudyApp, StudyDone, StudyScreen

HEADER = "epoch,step,train_loss,train_acc,val_loss,val_acc,lr,epoch_s,images_per_s,elapsed_s\n"


def write_run(root: Path, name: str, accs: list[float]) -> str:
    run = root / "runs" / name
    (run / "checkpoints").mkdir(parents=True)
    rows = [
        f"{e},{e * 10},1.0,{acc + 0.05},1.5,{acc},0.05,2.0,100.0,{e * 2.0}\n"
        for e, acc in enumerate(accs, 1)
    ]
    (run / "metrics.csv").write_text(HEADER + "".join(rows))
    (run / "status.json").write_text(json.dumps({"status": "completed"}))
    return f"runs/{name}"


def a_study(tmp_path: Path) -> tuple[StudyDirectory, Plan]:
    study = StudyDirectory(tmp_path)
    runs = [
        PlannedRun("sgd-s0", "sgd", 0, write_run(tmp_path, "1-sgd-s0", [0.20, 0.31])),
        PlannedRun("sgd-s1", "sgd", 1, write_run(tmp_path, "1-sgd-s1", [0.22, 0.33])),
        PlannedRun("adam-s0", "adam", 0, write_run(tmp_path, "1-adam-s0", [0.50, 0.71])),
        PlannedRun("adam-s1", "adam", 1, write_run(tmp_path, "1-adam-s1", [0.52, 0.73])),
    ]
    claims = ["adam beats sgd on best val_acc"]
    plan = Plan("tiny", "", 0.3, [0, 1], ["sgd", "adam"], claims, runs, 0.0)
    study.write_plan(plan)
    return study, plan


class FakeRunner:
    """Stands in for the study's runner thread: records the stop it is asked for."""

    def __init__(self) -> None:
        self.stopped: list[int] = []

    def start(self, listener: object, on_done: object) -> object:
        self.on_done = on_done
        return self.stopped.append


async def test_t_shows_the_study_table_curves_and_verdicts_and_t_returns(tmp_path: Path) -> None:
    study, plan = a_study(tmp_path)
    app = StudyApp(study, plan, FakeRunner().start)
    async with app.run_test(size=(130, 44)) as pilot:
        await shows(pilot, "waiting for the study's first run")
        await pilot.press("t")
        text = await shows(pilot, "validation accuracy %", "held: adam beats sgd on best val_acc")
        assert isinstance(app.screen, StudyScreen)
        assert "adam 72.0 ± 1.4% over 2, sgd 32.0 ± 1.4% over 2" in text
        rows = {line.split()[0]: line.split() for line in text.splitlines() if line.strip()}
        assert rows["sgd"][1:4] == ["2", "32.0", "±"]
        assert "epochs to 30%" in text
        await pilot.press("t")
        await until(pilot, lambda: not isinstance(app.screen, StudyScreen))
        assert "Progress" in screen_text(app)


async def test_q_asks_then_stops_every_run_and_the_app_closes_when_they_have(
    tmp_path: Path,
) -> None:
    study, plan = a_study(tmp_path)
    runner = FakeRunner()
    app = StudyApp(study, plan, runner.start)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("q")
        await until(pilot, lambda: isinstance(app.screen, ConfirmStop))
        await shows(pilot, "Stop the study?", "save a checkpoint", "tuitrain study --resume")
        await pilot.press("n")
        await until(pilot, lambda: not isinstance(app.screen, ConfirmStop))
        assert runner.stopped == []
        await pilot.press("q", "y")
        await until(pilot, lambda: runner.stopped == [signal.SIGINT])
        assert app.stop_asked and app.is_running  # it waits for the runs to save and end
        app.post_message(StudyDone())
        await until(pilot, lambda: not app.is_running)
