"""Layer statistics against a brute-force computation, hooks only on the sampled step, and no
read from the device while sampling."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from tuitrain.engine.layerprobe import LayerProbe


def toy() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(4, 6, 3, padding=1),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(6 * 5 * 5, 3),
    )


def batch() -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(1)
    return torch.randn(8, 3, 5, 5, generator=gen), torch.randint(0, 3, (8,), generator=gen)


def sampled_step(model: nn.Module, probe: LayerProbe, lr: float = 0.1) -> None:
    x, y = batch()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    probe.attach(step=0)
    F.cross_entropy(model(x), y).backward()
    probe.after_backward()
    optimizer.step()
    probe.after_step()


def hook_count(model: nn.Module) -> int:
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in model.modules())


def test_statistics_equal_a_brute_force_computation() -> None:
    model, reference = toy(), toy()
    probe = LayerProbe(model, every=1)
    sampled_step(model, probe)
    step, readings = probe.read()  # type: ignore[misc]
    x, y = batch()
    conv1, relu1, conv2, relu2, flat, fc = reference
    out1 = conv1(x)
    act1 = relu1(out1)
    out2 = conv2(act1)
    act2 = relu2(out2)
    out3 = fc(flat(act2))
    F.cross_entropy(out3, y).backward()
    layers = [(conv1, out1, act1), (conv2, out2, act2), (fc, out3, None)]
    before = [copy.deepcopy(layer.weight.detach()) for layer, _, _ in layers]
    torch.optim.SGD(reference.parameters(), lr=0.1, momentum=0.9).step()
    assert step == 0 and [r.name for r in readings] == ["0", "2", "5"]
    assert [r.kind for r in readings] == ["conv", "conv", "linear"]
    for reading, (layer, out, act), old in zip(readings, layers, before, strict=True):
        expect = pytest.approx
        assert reading.out_mean == expect(out.mean().item(), rel=1e-5, abs=1e-7)
        assert reading.out_std == expect(out.std(correction=0).item(), rel=1e-5)
        assert reading.grad_norm == expect(layer.weight.grad.norm().item(), rel=1e-5)
        assert reading.weight_norm == expect(layer.weight.norm().item(), rel=1e-5)
        change = (layer.weight.detach() - old).norm() / old.norm()
        assert reading.update_ratio == expect(change.item(), rel=1e-4)
        if act is None:
            assert reading.zeros is None and reading.dead is None
        else:
            assert reading.zeros == expect((act == 0).float().mean().item())
            dead = (act.transpose(0, 1).reshape(act.shape[1], -1) <= 0).all(dim=1)
            assert reading.dead == expect(dead.float().mean().item())


def test_dead_units_are_counted() -> None:
    model = toy()
    with torch.no_grad():
        model[0].bias[:2] = -1e3  # two of the four channels can never fire
    probe = LayerProbe(model, every=1)
    sampled_step(model, probe, lr=0.0)
    _, readings = probe.read()  # type: ignore[misc]
    assert readings[0].dead == 0.5 and readings[0].zeros >= 0.5  # type: ignore[operator]
    assert readings[0].update_ratio == 0.0


def test_hooks_exist_only_during_the_sampled_step() -> None:
    model = toy()
    probe = LayerProbe(model, every=3)
    # Never the first step (its update ratios measure the initialization, not the rate).
    assert [probe.due(s) for s in range(7)] == [False, False, False, True, False, False, True]
    assert hook_count(model) == 0
    x, y = batch()
    probe.attach(step=3)
    assert hook_count(model) == 5  # three layers, two activations
    F.cross_entropy(model(x), y).backward()
    probe.after_backward()
    assert hook_count(model) == 0  # gone before the optimizer step
    probe.after_step()
    assert probe.read() is not None and probe.read() is None  # read once
    model(x)  # an unsampled forward pass records nothing
    assert probe.read() is None and hook_count(model) == 0


def test_a_probe_that_is_off_never_samples() -> None:
    probe = LayerProbe(toy(), every=None)
    assert not any(probe.due(s) for s in range(100))


@contextmanager
def counting_reads(calls: list[str]) -> Iterator[None]:
    """Every read of a tensor's values by the host (item, tolist, float, cpu, numpy)."""
    names = ("item", "tolist", "__float__", "cpu", "numpy", "__bool__")
    saved = {name: getattr(torch.Tensor, name) for name in names}

    def counted(name: str):  # type: ignore[no-untyped-def]
        def call(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            calls.append(name)
            return saved[name](self, *args, **kwargs)

        return call

    for name in names:
        setattr(torch.Tensor, name, counted(name))
    try:
        yield
    finally:
        for name, method in saved.items():
            setattr(torch.Tensor, name, method)


def test_sampling_reads_nothing_back_from_the_device() -> None:
    model, calls = toy(), []
    probe = LayerProbe(model, every=1)
    x, y = batch()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with counting_reads(calls):
        probe.attach(step=0)
        F.cross_entropy(model(x), y).backward()
        probe.after_backward()
        optimizer.step()
        probe.after_step()
    assert calls == []


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_sampling_on_cuda_never_synchronizes() -> None:
    model = toy().cuda()
    probe = LayerProbe(model, every=1)
    x, y = (t.cuda() for t in batch())
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        probe.attach(step=0)
        F.cross_entropy(model(x), y).backward()
        probe.after_backward()
        optimizer.step()
        probe.after_step()
    finally:
        torch.cuda.set_sync_debug_mode("default")
    torch.cuda.synchronize()
    _, readings = probe.read()  # type: ignore[misc]
    assert len(readings) == 3 and all(r.weight_norm > 0 for r in readings)
