import threading
from pathlib import Path

from tuitrain.runs.rundir import RunDirectory, safe_name


def test_runs_started_in_the_same_second_get_their_own_directories(tmp_path: Path) -> None:
    made: list[Path] = []
    lock = threading.Lock()

    def create() -> None:
        run = RunDirectory.create(tmp_path, "default", now=1_800_000_000)
        with lock:
            made.append(run.path)

    threads = [threading.Thread(target=create) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(made)) == 8
    assert all((p / "checkpoints").is_dir() for p in made)


def test_names_are_made_safe() -> None:
    assert safe_name("../../etc/passwd") == "etc-passwd"
    assert safe_name("my preset!") == "my-preset"
    assert safe_name("///") == "run"


def test_leftover_temporary_files_are_removed(tmp_path: Path) -> None:
    run = RunDirectory.create(tmp_path, "x")
    (run.checkpoints / ".last.pt.abc.tmp").write_bytes(b"half")
    (run.checkpoints / "last.pt").write_bytes(b"whole")
    assert [p.name for p in run.remove_temporary_files()] == [".last.pt.abc.tmp"]
    assert [p.name for p in run.checkpoints.iterdir()] == ["last.pt"]


def test_run_paths_are_absolute_whatever_the_working_directory(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    run = RunDirectory.create(Path("runs"), "x")
    assert run.path.is_absolute() and run.path.parent == tmp_path / "runs"
