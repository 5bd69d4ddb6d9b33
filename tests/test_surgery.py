"""model.norm on networks built elsewhere: every BatchNorm2d replaced, and training still works."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

from tests.conftest import tiny
from tuitrain.models import build_network
from tuitrain.surgery import ChannelLayerNorm

NETS = Path(__file__).resolve().parent / "fixtures" / "user" / "nets.py"


def resnet18(norm: str | None):
    model = {"kind": "torchvision", "name": "resnet18", "norm": norm, "groups": 48}
    return build_network(tiny(model=model).model, in_channels=3, num_classes=4, image_size=32)


@pytest.mark.parametrize(
    ("norm", "kind"), [("none", nn.Identity), ("layer", ChannelLayerNorm), ("group", nn.GroupNorm)]
)
def test_every_batch_norm_is_replaced_and_counted(norm: str, kind: type[nn.Module]) -> None:
    network = resnet18(norm)
    modules = list(network.model.modules())
    assert not any(isinstance(m, nn.BatchNorm2d) for m in modules)
    assert network.norm_replaced == 20
    assert network.notes[0].startswith("norm: 20 BatchNorm2d replaced by ")
    if norm == "group":  # 48 divides none of 64, 128, 256, 512: the largest divisor below it
        groups = {m.num_groups for m in modules if isinstance(m, nn.GroupNorm)}
        assert groups == {32}
    # Gradients still reach every weight.
    model = network.model.train()
    nn.functional.cross_entropy(model(torch.rand(4, 3, 32, 32)), torch.arange(4)).backward()
    assert all(p.grad is not None and p.grad.isfinite().all() for p in model.parameters())


@pytest.mark.parametrize("norm", ["none", "layer", "group"])
def test_a_user_network_still_learns_after_the_surgery(norm: str) -> None:
    model = {"kind": "python", "target": f"{NETS}:TinyNet", "norm": norm, "groups": 4}
    torch.manual_seed(0)
    network = build_network(tiny(model=model).model, in_channels=3, num_classes=4, image_size=16)
    assert network.norm_replaced == 2
    net = network.model.train()
    y = torch.arange(16) % 4
    x = torch.rand(16, 3, 16, 16)
    for k in range(3):  # classes 0-2 brighten one channel each; class 3 none
        x[:, k] += (y == k).float().view(-1, 1, 1)
    optimizer = torch.optim.Adam(net.parameters(), lr=0.01)
    losses = []
    for _ in range(30):
        loss = nn.functional.cross_entropy(net(x), y)
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert losses[-1] < 0.5 * losses[0]


def test_batch_keeps_the_layers_and_unset_leaves_the_network_alone() -> None:
    def tiny_net(norm: str | None):
        model = {"kind": "python", "target": f"{NETS}:TinyNet", "norm": norm}
        return build_network(tiny(model=model).model, in_channels=3, num_classes=4, image_size=16)

    kept = tiny_net("batch")
    assert kept.norm_replaced == 0 and kept.notes == ["norm: 2 BatchNorm2d kept"]
    assert sum(isinstance(m, nn.BatchNorm2d) for m in kept.model.modules()) == 2
    untouched = tiny_net(None)
    assert untouched.norm_replaced is None and untouched.notes == []
