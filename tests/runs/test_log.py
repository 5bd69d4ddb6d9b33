import csv
import json
from pathlib import Path

from tuitrain.engine import events as ev
from tuitrain.runs.log import RunLog
from tuitrain.runs.rundir import RunDirectory


def test_a_torn_last_line_is_cut_before_appending(tmp_path: Path) -> None:
    run = RunDirectory.create(tmp_path, "torn")
    whole = ev.Log(message="before the crash").to_json() + "\n"
    run.events_path.write_text(whole + '{"type":"step","ti')
    run.metrics_path.write_text("epoch,step\n1,2")
    log = RunLog(run, preset_name="p", epochs=1)
    log(ev.Log(message="after the resume"))
    log.close()
    lines = run.events_path.read_text().splitlines()
    assert [json.loads(line)["message"] for line in lines] == [
        "before the crash",
        "after the resume",
    ]
    assert list(csv.reader(run.metrics_path.open())) == [["epoch", "step"]]


def test_status_follows_the_run(tmp_path: Path) -> None:
    run = RunDirectory.create(tmp_path, "status")
    log = RunLog(run, preset_name="p", epochs=3)
    assert json.loads((run.path / "status.json").read_text())["status"] == "starting"
    log(ev.Paused(step=4, source="key"))
    assert json.loads((run.path / "status.json").read_text())["status"] == "paused"
    log(ev.Failed(error="nan", message="loss is nan"))
    status = json.loads((run.path / "status.json").read_text())
    assert status["status"] == "failed" and status["error"] == "loss is nan"
    assert log.offset == run.events_path.stat().st_size
    log.close()
