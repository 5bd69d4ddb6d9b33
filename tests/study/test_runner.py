"""How a study's runs are ordered and started: seed by seed, each an ordinary command line."""

from __future__ import annotations

import sys
from pathlib import Path

from tuitrain.study.plan import Plan, PlannedRun, StudyDirectory
from tuitrain.study.runner import RunnerOptions, StudyRunner, plan_runs


def test_runs_go_seed_by_seed_so_a_study_cut_short_still_compares_every_variant() -> None:
    runs = plan_runs(["sgd", "adam"], [0, 1])
    assert [run.id for run in runs] == ["sgd-s0", "adam-s0", "sgd-s1", "adam-s1"]


def a_runner(tmp_path: Path, options: RunnerOptions) -> tuple[StudyRunner, list[PlannedRun]]:
    study = StudyDirectory(tmp_path)
    runs = [PlannedRun("sgd-s1", "sgd", 1), PlannedRun("adam-s0", "adam", 0, "runs/x-adam-s0")]
    plan = Plan("tiny", "", None, [0, 1], ["sgd", "adam"], [], runs, 0.0)
    return StudyRunner(study, plan, listener=None, options=options), runs  # type: ignore[arg-type]


def test_a_run_is_tuitrain_run_with_its_seed_and_a_resumed_one_tuitrain_resume(
    tmp_path: Path,
) -> None:
    runner, (fresh, cut) = a_runner(
        tmp_path, RunnerOptions(parallel=2, devices=("cuda:0", "cuda:1"))
    )
    argv = runner._argv(fresh, slot=1, resumed=False)
    assert argv[:4] == [sys.executable, "-m", "tuitrain", "run"]
    assert argv[4] == str(tmp_path / "presets" / "sgd.yaml")
    joined = " ".join(argv)
    assert "--headless" in argv and f"--runs-dir {tmp_path / 'runs'} --name sgd-s1" in joined
    assert "--set train.seed=1" in joined and argv[-2:] == ["--device", "cuda:1"]
    resumed = runner._argv(cut, slot=0, resumed=True)
    assert resumed[3:5] == ["resume", str(tmp_path / "runs" / "x-adam-s0")]


def test_parallel_runs_share_the_cores_unless_the_user_set_the_threads(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0, 1, 2, 3})
    runner, _ = a_runner(tmp_path, RunnerOptions(parallel=2))
    assert runner._env()["OMP_NUM_THREADS"] == "2"
    alone, _ = a_runner(tmp_path, RunnerOptions(parallel=1))
    assert "OMP_NUM_THREADS" not in alone._env()
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert runner._env()["OMP_NUM_THREADS"] == "3"
