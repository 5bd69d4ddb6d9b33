import os
import subprocess
import sys
import time
from pathlib import Path

from tuitrain.runs.status import process_alive, read_status, this_process, write_status


def test_our_own_process_is_alive() -> None:
    assert process_alive(this_process())


def test_a_dead_process_reads_as_interrupted(tmp_path: Path) -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    write_status(tmp_path, {"status": "running", "pid": child.pid, "host": os.uname().nodename})
    assert read_status(tmp_path)["status"] == "interrupted"


def test_a_reused_pid_is_not_mistaken_for_the_run(tmp_path: Path) -> None:
    status = this_process() | {"status": "running", "pid_started": 1}
    write_status(tmp_path, status)
    assert read_status(tmp_path)["status"] == "interrupted"


def test_finished_runs_keep_their_status(tmp_path: Path) -> None:
    write_status(tmp_path, {"status": "completed", "pid": 999999999, "best_value": float("nan")})
    status = read_status(tmp_path)
    assert status["status"] == "completed" and status["best_value"] is None


def test_missing_or_broken_status_is_unknown(tmp_path: Path) -> None:
    assert read_status(tmp_path)["status"] == "unknown"
    (tmp_path / "status.json").write_text("{torn")
    assert read_status(tmp_path)["status"] == "unknown"


def test_a_killed_but_unreaped_process_is_dead(tmp_path: Path) -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        status = {"status": "running", "pid": child.pid, "host": os.uname().nodename}
        assert process_alive(status)
        child.kill()
        for _ in range(100):  # the zombie appears once the kill lands
            if not process_alive(status):
                break
            time.sleep(0.01)
        assert not process_alive(status)
    finally:
        child.wait()
