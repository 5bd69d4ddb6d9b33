"""A real tiny run keeps pictures of itself: each validation's mistakes, the last batch."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import tiny
from tests.engine.test_trainer import of, run
from tuitrain.data.shapes import CLASS_NAMES
from tuitrain.engine import events as ev
from tuitrain.engine.trainer import Trainer
from tuitrain.runs.rundir import RunDirectory
from tuitrain.runs.samples import read_samples


def test_each_validation_saves_its_mistakes_and_the_last_training_batch(tmp_path: Path) -> None:
    run_dir = RunDirectory.create(tmp_path, "pictures")
    preset = tiny(augment={"flip": {}})
    events = run(Trainer(preset, samples=run_dir, run_dir=str(run_dir.path)))
    validated = of(events, ev.Validated)
    saved = of(events, ev.SamplesSaved)
    mistakes = [s for s in saved if s.kind == "val_mistakes"]
    batches = [s for s in saved if s.kind == "train_batch"]
    assert len(mistakes) == len(batches) == len(validated) == 2
    val_size = of(events, ev.RunStarted)[0].val_size
    for v, m in zip(validated, mistakes, strict=True):
        assert m.step == v.step
        # The mistakes counted on the device are the ones the accuracy implies.
        assert m.total == round(val_size * (1 - v.val_acc))
        assert m.shown == min(16, m.total)
    found = read_samples(run_dir.path / mistakes[-1].path)
    assert found is not None
    last, names = found
    assert names == list(CLASS_NAMES)
    assert last.total == mistakes[-1].total
    assert mistakes[-1].epoch == 2.0  # the validation at the end of the second epoch
    assert len(last.labels) == mistakes[-1].shown and last.images.shape[1:] == (16, 16, 3)
    assert all(t != p for t, p in zip(last.labels, last.predicted, strict=True))
    assert last.confidence == sorted(last.confidence, reverse=True)
    found = read_samples(run_dir.path / batches[-1].path)
    assert found is not None
    batch = found[0]
    # 120 training images in batches of 16: the last batch of an epoch holds 8.
    assert batch is not None and batch.images.shape == (8, 16, 16, 3) and batch.total == 8
    assert (run_dir.path / "samples" / "val_mistakes.png").stat().st_size > 0


def test_without_a_place_to_save_nothing_is_kept() -> None:
    events = run(Trainer(tiny()))
    assert not of(events, ev.SamplesSaved)


class _FullDisk:
    def save_samples(self, kind, pictures, class_names) -> str:
        raise OSError(28, "No space left on device")


def test_a_failed_write_warns_once_and_training_goes_on() -> None:
    events = run(Trainer(tiny(train={"epochs": 3}), samples=_FullDisk()))
    warnings = [w for w in of(events, ev.Warned) if w.category == "samples"]
    assert len(warnings) == 1 and "No space left" in warnings[0].message
    assert isinstance(events[-1], ev.Finished) and events[-1].status == "completed"


def test_the_mistakes_are_those_the_confusion_counts_imply(tmp_path: Path) -> None:
    run_dir = RunDirectory.create(tmp_path, "pictures")
    events = run(Trainer(tiny(), samples=run_dir, run_dir=str(run_dir.path)))
    counts = of(events, ev.ClassesCounted)
    mistakes = [s for s in of(events, ev.SamplesSaved) if s.kind == "val_mistakes"]
    assert len(counts) == len(mistakes) == 2
    for counted, saved in zip(counts, mistakes, strict=True):
        matrix = counted.matrix
        off_diagonal = sum(n for t, row in enumerate(matrix) for p, n in enumerate(row) if t != p)
        assert saved.total == off_diagonal
    # The file holds the last validation's mistakes (each validation replaces it).
    found = read_samples(run_dir.path / mistakes[-1].path)
    assert found is not None
    pictures, matrix = found[0], counts[-1].matrix
    # Every mistake shown is a cell the matrix counts, and none is shown more often.
    shown: dict[tuple[int, int], int] = {}
    for true, predicted in zip(pictures.labels, pictures.predicted, strict=True):
        shown[true, predicted] = shown.get((true, predicted), 0) + 1
    assert shown and all(matrix[t][p] >= n for (t, p), n in shown.items())
