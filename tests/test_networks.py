"""Networks by name and the user's own: built for the data, refused clearly when they cannot be."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

from tests.conftest import tiny
from tuitrain.errors import UserError
from tuitrain.models import build_network
from tuitrain.networks import weights_file
from tuitrain.usercode import UserCodeError

USER = Path(__file__).resolve().parent / "fixtures" / "user"
NETS = USER / "nets.py"


def build(model: dict, channels: int = 3, classes: int = 4, size: int = 16):
    return build_network(
        tiny(model=model).model, in_channels=channels, num_classes=classes, image_size=size
    )


def scores(network, channels: int = 3, size: int = 16) -> torch.Tensor:
    network.model.eval()
    with torch.no_grad():
        return network.model(torch.rand(3, channels, size, size))


def test_torchvision_by_name_gets_a_classifier_for_the_data_and_one_channel_is_repeated() -> None:
    network = build({"kind": "torchvision", "name": "resnet18"}, channels=1, classes=7, size=32)
    assert network.label == "torchvision resnet18"
    assert network.notes == ["1-channel data repeated to 3 channels on the device"]
    assert scores(network, channels=1, size=32).shape == (3, 7)
    assert network.model.fc.out_features == 7


def test_an_unknown_torchvision_name_gets_did_you_mean_from_the_real_list() -> None:
    with pytest.raises(
        UserError, match="no classification model 'resnet19'; did you mean 'resnet18'"
    ):
        build({"kind": "torchvision", "name": "resnet19"})


def test_weights_missing_from_the_cache_say_where_torch_looks_and_how_to_fetch_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    with pytest.raises(UserError) as caught:
        build({"kind": "torchvision", "name": "resnet18", "weights": "DEFAULT"})
    text = str(caught.value)
    assert f"no {tmp_path}/hub/checkpoints/resnet18-f37072fd.pth" in text
    assert "get_model('resnet18', weights='DEFAULT')" in text and "model.download: true" in text


def test_cached_weights_load_without_a_network_and_the_head_is_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    from torchvision.models import ResNet18_Weights, resnet18

    pretrained = resnet18(num_classes=1000)
    path = weights_file(ResNet18_Weights.DEFAULT.url)
    path.parent.mkdir(parents=True)
    torch.save(pretrained.state_dict(), path)
    network = build({"kind": "torchvision", "name": "resnet18", "weights": "DEFAULT"}, classes=5)
    assert network.notes == [
        "pretrained ResNet18_Weights.IMAGENET1K_V1; classifier fc replaced for 5 classes"
    ]
    assert torch.equal(network.model.conv1.weight, pretrained.conv1.weight)
    assert scores(network).shape == (3, 5)
    # What tuitrain.load rebuilds for such a run (no weights file needed) takes its weights.
    bare = build({"kind": "torchvision", "name": "resnet18"}, classes=5)
    bare.model.load_state_dict(network.model.state_dict())


def test_timm_by_name_is_created_for_the_classes_and_channels() -> None:
    network = build({"kind": "timm", "name": "resnet10t"}, channels=1, classes=6)
    assert network.label == "timm resnet10t" and network.notes == []
    assert scores(network, channels=1).shape == (3, 6)
    with pytest.raises(UserError, match="timm has no model 'resnet10x'; did you mean 'resnet10t'"):
        build({"kind": "timm", "name": "resnet10x"})


def test_a_user_class_gets_num_classes_and_in_channels_and_its_args() -> None:
    network = build({"kind": "python", "target": f"{NETS}:TinyNet", "args": {"width": 6}}, 1)
    assert network.label == "python nets.py:TinyNet"
    assert network.source_file == str(NETS)
    assert network.model.features[0].in_channels == 1  # given in_channels, so nothing repeated
    assert network.notes == [] and scores(network, channels=1).shape == (3, 4)


def test_a_user_function_gets_its_args_and_rgb_only_nets_get_the_channel_repeated() -> None:
    function = build({"kind": "python", "target": f"{NETS}:make_net", "args": {"classes": 4}})
    assert scores(function).shape == (3, 4)
    rgb = build({"kind": "python", "target": f"{NETS}:RgbOnly"}, channels=1)
    assert rgb.notes == ["1-channel data repeated to 3 channels on the device"]
    assert scores(rgb, channels=1).shape == (3, 4)


@pytest.mark.parametrize(
    ("name", "summary", "in_traceback"),
    [
        ("NotAModule", "is a class but not an nn.Module subclass", None),
        ("returns_text", "returned a str; tuitrain expects an nn.Module", None),
        ("BrokenInit", "model: nets.py:BrokenInit(**{num_classes=4}) failed", "width must be even"),
        ("BadForward", "failed on a batch of shape (2, 3, 16, 16)", "forward is not finished"),
        ("WrongShape", "returned (2, 16) for a batch", None),
        ("Missing", "nets.py has no 'Missing'", None),
    ],
)
def test_user_code_that_cannot_be_a_network_is_refused_with_its_own_traceback(
    name: str, summary: str, in_traceback: str | None
) -> None:
    with pytest.raises(UserCodeError) as caught:
        build({"kind": "python", "target": f"{NETS}:{name}"})
    error = caught.value
    assert summary in error.summary
    if in_traceback is not None:
        assert in_traceback in error.user_traceback
        assert str(NETS) in error.user_traceback  # the user's own frames...
        assert "tuitrain/" not in error.user_traceback  # ...and none of tuitrain's
    if name == "WrongShape":
        assert "expects class scores of shape (batch, classes) = (2, 4)" in error.summary


def test_a_user_module_target_imports_by_module_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(USER))
    network = build({"kind": "python", "target": "nets:TinyNet"})
    assert network.label == "python nets:TinyNet" and network.source_file is None
    assert isinstance(network.model, nn.Module)
