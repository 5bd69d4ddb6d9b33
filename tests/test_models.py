from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from tuitrain.config.model import CnnModel, FastModel, ModelCommon, ResNet18Model
from tuitrain.layers import ACTIVATIONS, GAINS
from tuitrain.models import BasicBlock, build_model, count_parameters

NORMS = ["batch", "layer", "group", "none"]
ACTS = ["relu", "gelu", "silu", "leaky_relu", "elu"]
ACT_TYPES = (nn.ReLU, nn.GELU, nn.SiLU, nn.LeakyReLU, nn.ELU)


def tiny(kind: str, norm: str = "batch", **extra: object) -> ModelCommon:
    """Small versions of each model kind; groups=4 divides every width used here."""
    common: dict[str, object] = {"norm": norm, "groups": 4, **extra}
    if kind == "cnn":
        return CnnModel(widths=[8, 16], blocks=2, **common)
    if kind == "cnn_avg":
        return CnnModel(widths=[8, 16, 16], blocks=2, pool="avg", **common)
    if kind == "resnet18":
        return ResNet18Model(width=8, **common)
    if kind == "resnet18_imagenet":
        return ResNet18Model(width=8, stem="imagenet", **common)
    return FastModel(widths=[8, 16, 16], **common)


KINDS = ["cnn", "resnet18", "resnet18_imagenet", "fast"]


@pytest.mark.parametrize("name", ACTS)
def test_gains_restore_unit_second_moment(name: str) -> None:
    # gain^2 * E[f(z)^2] = 1 for z ~ N(0, 1), by quadrature on a fine grid.
    z = torch.linspace(-12.0, 12.0, 200_001, dtype=torch.float64)
    pdf = torch.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
    f = ACTIVATIONS[name]().double()
    moment = torch.trapezoid(f(z) ** 2 * pdf, z).item()
    assert GAINS[name] ** 2 * moment == pytest.approx(1.0, rel=1e-5)


@pytest.mark.parametrize("shape", [(3, 32), (1, 28)])
@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("kind", KINDS)
def test_forward_and_backward(kind: str, norm: str, shape: tuple[int, int]) -> None:
    torch.manual_seed(0)
    channels, size = shape
    model = build_model(
        tiny(kind, norm), in_channels=channels, num_classes=7, image_size=size
    ).train()
    x = torch.randn(3, channels, size, size)
    logits = model(x)
    assert logits.shape == (3, 7)
    F.cross_entropy(logits, torch.tensor([0, 3, 6])).backward()
    grads = [p.grad for p in model.parameters()]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    assert sum(float(g.abs().sum()) for g in grads if g is not None) > 0


def test_tiny_cnn_parameter_counts() -> None:
    def count(norm: str) -> int:
        cfg = CnnModel(widths=[4, 8], blocks=2, norm=norm, groups=2)
        return count_parameters(build_model(cfg, in_channels=3, num_classes=10, image_size=32))

    convs = 3 * 4 * 9 + 4 * 4 * 9 + 4 * 8 * 9 + 8 * 8 * 9
    norm_params = 2 * (4 + 4 + 8 + 8)  # scale and shift per channel
    conv_biases = 4 + 4 + 8 + 8
    head = 8 * 10 + 10
    assert count("batch") == convs + norm_params + head == 1254
    assert count("layer") == count("group") == count("batch")
    assert count("none") == convs + conv_biases + head == 1230


def test_resnet18_has_the_usual_parameter_count() -> None:
    small = build_model(ResNet18Model(), in_channels=3, num_classes=10, image_size=32)
    assert count_parameters(small) == 11_173_962
    big = build_model(ResNet18Model(stem="imagenet"), in_channels=3, num_classes=10, image_size=64)
    assert count_parameters(big) - count_parameters(small) == 3 * 64 * (49 - 9)


def test_fast_parameter_count_at_defaults() -> None:
    model = build_model(FastModel(), in_channels=3, num_classes=10, image_size=32)
    stem = 3 * 24 * 4 + 24
    groups = 0
    for c_in, c_out in [(24, 64), (64, 256), (256, 256)]:
        groups += c_in * c_out * 9 + c_out * c_out * 9 + 2 * (2 * c_out)
    assert count_parameters(model) == stem + groups + 256 * 10 == 1_972_792


def test_count_parameters_skips_frozen_and_shared() -> None:
    shared = nn.Linear(3, 3)
    model = nn.Sequential(shared, shared, nn.Linear(3, 2))
    model[2].bias.requires_grad_(False)
    assert count_parameters(model) == 12 + 6


def _leaf_order(model: nn.Module, x: torch.Tensor) -> list[nn.Module]:
    order: list[nn.Module] = []
    leaves = [m for m in model.modules() if not list(m.children())]
    hooks = [m.register_forward_hook(lambda mod, i, o: order.append(mod)) for m in leaves]
    model(x)
    for hook in hooks:
        hook.remove()
    return order


@pytest.mark.parametrize("kind", ["cnn", "fast"])
def test_batch_norm_sits_before_the_activation(kind: str) -> None:
    model = build_model(tiny(kind), in_channels=3, num_classes=10, image_size=32)
    order = _leaf_order(model, torch.randn(2, 3, 32, 32))
    positions = [i for i, m in enumerate(order) if isinstance(m, nn.BatchNorm2d)]
    assert len(positions) == (4 if kind == "cnn" else 6)
    assert all(isinstance(order[i + 1], ACT_TYPES) for i in positions)
    assert all(isinstance(order[i - 1], nn.Conv2d | nn.MaxPool2d) for i in positions)


def test_resnet_block_orders_conv_norm_activation() -> None:
    model = build_model(tiny("resnet18"), in_channels=3, num_classes=10, image_size=32)
    order = _leaf_order(model, torch.randn(2, 3, 32, 32))
    blocks = [m for m in model.modules() if isinstance(m, BasicBlock)]
    assert len(blocks) == 8
    for block in blocks:
        i = order.index(block.conv1)
        assert order[i + 1 : i + 3] == [block.norm1, block.act1]
        assert order[i + 3 : i + 5] == [block.conv2, block.norm2]
        # The activation comes after the sum, so after the shortcut too.
        assert order.index(block.act2) > max(order.index(block.norm2), i)


@pytest.mark.parametrize("kind", KINDS)
def test_conv_bias_only_without_a_following_norm(kind: str) -> None:
    for norm, biased in [("batch", False), ("layer", False), ("none", True)]:
        model = build_model(tiny(kind, norm), in_channels=3, num_classes=10, image_size=32)
        convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
        if kind == "fast":
            convs = convs[1:]  # the patch stem feeds an activation, never a norm
        assert all((c.bias is not None) == biased for c in convs)


@pytest.mark.parametrize("kind", KINDS)
def test_layer_norm_is_per_sample(kind: str) -> None:
    torch.manual_seed(1)
    model = build_model(tiny(kind, "layer"), in_channels=3, num_classes=10, image_size=32).train()
    x = torch.randn(4, 3, 32, 32)
    other = x.clone()
    other[1:] = 5 * torch.randn(3, 3, 32, 32) + 2
    torch.testing.assert_close(model(x)[0], model(other)[0], rtol=1e-5, atol=1e-6)

    # The same check tells batch norm apart: there a sample depends on its batch.
    batch = build_model(tiny(kind, "batch"), in_channels=3, num_classes=10, image_size=32)
    assert not torch.allclose(batch.train()(x)[0], batch(other)[0], atol=1e-4)


def test_layer_and_group_norm_modules() -> None:
    def norms(norm: str) -> list[nn.GroupNorm]:
        model = build_model(tiny("cnn", norm), in_channels=3, num_classes=10, image_size=32)
        return [m for m in model.modules() if isinstance(m, nn.GroupNorm)]

    assert [(m.num_groups, m.num_channels) for m in norms("layer")] == [(1, 8), (1, 8)] + [
        (1, 16)
    ] * 2
    assert all(m.num_groups == 4 for m in norms("group"))
    assert norms("none") == []


@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("kind", [*KINDS, "cnn_avg"])
def test_init_keeps_stage_outputs_in_a_sane_band(kind: str, norm: str, act: str) -> None:
    torch.manual_seed(0)
    model = build_model(
        tiny(kind, norm, activation=act), in_channels=3, num_classes=10, image_size=32
    ).train()
    stds: list[float] = []
    for stage in [model.stem, *model.stages]:
        stage.register_forward_hook(lambda m, i, o: stds.append(float(o.detach().std())))
    logits = model(torch.randn(8, 3, 32, 32))
    assert len(stds) == len(model.stages) + 1
    assert all(0.2 < s < 5.0 for s in stds), stds
    # A small head: the first logits are far from confident, so the loss starts near log(10).
    assert float(logits.detach().std()) < 1.0


@pytest.mark.parametrize("norm", NORMS)
def test_resnet_blocks_start_as_their_shortcut(norm: str) -> None:
    model = build_model(tiny("resnet18", norm), in_channels=3, num_classes=10, image_size=32)
    x = torch.randn(2, 8, 16, 16)
    for block in model.modules():
        if isinstance(block, BasicBlock) and block.conv1.in_channels == 8:
            torch.testing.assert_close(block(x), block.act2(block.shortcut(x)))


def test_dropout_acts_only_in_training() -> None:
    cfg = CnnModel(widths=[8], blocks=1, dropout=0.5)
    model = build_model(cfg, in_channels=3, num_classes=10, image_size=16)
    x = torch.randn(4, 3, 16, 16)
    model.train()
    assert not torch.equal(model(x), model(x))
    model.eval()
    assert torch.equal(model(x), model(x))


def test_pooling_stops_at_one_pixel() -> None:
    cfg = CnnModel(widths=[4] * 6, blocks=1)
    model = build_model(cfg, in_channels=1, num_classes=3, image_size=8)
    pools = [m for m in model.modules() if isinstance(m, nn.MaxPool2d)]
    assert len(pools) == 3  # 8 -> 4 -> 2 -> 1, then no more
    assert model(torch.randn(2, 1, 8, 8)).shape == (2, 3)
