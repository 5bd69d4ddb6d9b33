"""data kind python: the user's datasets on the in-memory or the streaming path, or refused."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from tests.conftest import tiny
from tuitrain.data import prepare_data
from tuitrain.errors import UserError
from tuitrain.usercode import UserCodeError

CORNERS = Path(__file__).resolve().parents[1] / "fixtures" / "user" / "corners.py"
CPU = torch.device("cpu")


def prepare(target: str, **data: object):
    section = {"kind": "python", "target": f"{CORNERS}:{target}", "batch_size": 16, "workers": 0}
    preset = tiny(data={**section, **data})
    return prepare_data(preset.data, preset.augment, device=CPU, seed=0)


def test_datasets_that_fit_go_in_memory_with_their_class_names() -> None:
    data = prepare("make", args={"n": 64})
    assert data.loader == "memory" and data.exact_resume
    assert data.class_names == ["top-left", "top-right", "bottom-left", "bottom-right"]
    assert (data.train_size, data.val_size, data.image_shape) == (64, 16, (1, 16, 16))
    x, y = next(iter(data.train.epoch(0)))
    assert x.shape == (16, 1, 16, 16) and x.dtype == torch.float32 and y.dtype == torch.int64


def test_the_streaming_path_gives_the_same_validation_batches_as_the_memory_path() -> None:
    memory = prepare("make", args={"n": 64}, loader="memory")
    stream = prepare("make", args={"n": 64}, loader="stream")
    assert stream.loader == "stream"
    for (xm, ym), (xs, ys) in zip(memory.val, stream.val, strict=True):
        assert torch.equal(xm, xs) and torch.equal(ym, ys)


@pytest.mark.parametrize("loader", ["memory", "stream"])
def test_augment_applies_on_both_paths(loader: str) -> None:
    section = {"kind": "python", "target": f"{CORNERS}:make", "args": {"n": 32}, "workers": 0}
    section |= {"loader": loader, "batch_size": 32, "shuffle": False}
    preset = tiny(data=section, augment={"flip": {"p": 1}})
    flipped = prepare_data(preset.data, preset.augment, device=CPU, seed=0)
    plain = prepare("make", args={"n": 32}, loader=loader, batch_size=32, shuffle=False)
    (xf, _), (xp, _) = next(iter(flipped.train.epoch(0))), next(iter(plain.train.epoch(0)))
    assert torch.allclose(xf, xp.flip(-1))


def test_no_validation_set_holds_out_val_split_and_classes_are_numbered() -> None:
    data = prepare("make_pair", args={"n": 40}, val_split=0.25)
    assert (data.train_size, data.val_size) == (30, 10)
    assert data.class_names == ["top-left", "top-right", "bottom-left", "bottom-right"]
    with pytest.raises(UserError, match=r"returned no validation set, and data\.val_split is 0"):
        prepare("make_pair", args={"n": 40}, val_split=0)


def test_pil_images_of_mixed_sizes_need_image_size_and_are_resized_with_it() -> None:
    with pytest.raises(UserCodeError, match=r"train\[1\] has shape \(1, 16, 17\).*data.image_size"):
        prepare("make_pil", args={"n": 40})
    data = prepare("make_pil", args={"n": 40}, image_size=12)
    assert data.image_shape == (1, 12, 12)


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("bad_item", r"data: train\[1\] holds an image of type str; tuitrain expects each item"),
        ("bad_label", r"data: train\[10\] has label 7, outside 0..3 \(4 classes\)"),
        ("returns_nothing", "returned a NoneType; tuitrain expects the data target to return"),
        ("raises", r"data: corners.py:raises\(\*\*data.args\) failed"),
    ],
)
def test_a_dataset_tuitrain_cannot_use_is_refused_saying_what_it_expected(
    target: str, message: str
) -> None:
    with pytest.raises(UserCodeError, match=message) as caught:
        prepare(target)
    if target == "raises":
        assert "OSError: cannot open the archive of 10 images" in caught.value.user_traceback
        assert str(CORNERS) in caught.value.user_traceback
