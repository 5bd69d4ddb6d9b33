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


def test_a_resumed_run_keeps_its_first_start_time(tmp_path: Path) -> None:
    run = RunDirectory.create(tmp_path, "resumed")
    RunLog(run, preset_name="p", epochs=3).close()
    first = json.loads((run.path / "status.json").read_text())["started"]
    RunLog(run, preset_name="p", epochs=3, covered_epochs=1).close()
    assert json.loads((run.path / "status.json").read_text())["started"] == first


HEADER = "epoch,step,train_loss\n"


def metrics_rows(run: RunDirectory) -> list[list[str]]:
    return list(csv.reader(run.metrics_path.open()))


def test_a_resume_cuts_metrics_back_to_the_epochs_its_checkpoint_holds(tmp_path: Path) -> None:
    # Epoch 2's row was written, then the process was killed writing epoch 2's checkpoint; an
    # earlier resume had already written epoch 1 twice; the row of epoch 3 is torn.
    run = RunDirectory.create(tmp_path, "resumed")
    run.metrics_path.write_text(HEADER + "1,4,2.5\n1,4,2.4\n2,8,2.2\n3,1")
    log = RunLog(run, preset_name="p", epochs=3, covered_epochs=1)
    assert metrics_rows(run) == [["epoch", "step", "train_loss"], ["1", "4", "2.4"]]
    assert list(run.path.glob(".*.tmp")) == []
    log(epoch_ended(2, 8))
    log(epoch_ended(3, 12))
    log.close()
    assert [row[:2] for row in metrics_rows(run)[1:]] == [["1", "4"], ["2", "8"], ["3", "12"]]


def test_a_resume_keeps_the_rows_its_checkpoint_holds_as_they_are(tmp_path: Path) -> None:
    run = RunDirectory.create(tmp_path, "intact")
    text = HEADER + "1,4,2.5\n2,8,2.2\n"
    run.metrics_path.write_text(text)
    before = run.metrics_path.stat().st_ino
    RunLog(run, preset_name="p", epochs=3, covered_epochs=2).close()
    assert run.metrics_path.read_text() == text and run.metrics_path.stat().st_ino == before
    RunLog(run, preset_name="p", epochs=3).close()  # a new run's log cuts nothing
    assert run.metrics_path.read_text() == text


def epoch_ended(epoch: int, step: int) -> ev.EpochEnded:
    return ev.EpochEnded(
        epoch=epoch, epochs=3, step=step, train_loss=2.0, train_acc=0.1, val_loss=None,
        val_acc=None, lr=0.1, epoch_s=1.0, images_per_s=10.0, elapsed_s=float(epoch),
        eta_run_s=None, best_metric="val_acc", best_value=None, is_best=False, fit="ok",
        train_val_gap=None,
    )  # fmt: skip


def test_a_resume_with_no_room_to_cut_metrics_back_is_refused_before_training(
    tmp_path: Path,
) -> None:
    import pytest

    from tests.filesystems import fill, small_tmpfs
    from tuitrain.errors import UserError

    with small_tmpfs(tmp_path / "disk", size="256k") as disk:
        run = RunDirectory.create(disk, "full")
        run.metrics_path.write_text("epoch,step\n1,4\n2,8\n")
        (run.path / "status.json").write_text("{}")
        fill(disk)
        with pytest.raises(UserError, match="no room to rewrite") as caught:
            RunLog(run, preset_name="p", epochs=3, covered_epochs=1)
        assert "No space left on device" in caught.value.message
        assert run.metrics_path.read_text() == "epoch,step\n1,4\n2,8\n"  # left as it was
