import math

import torch

from tuitrain.engine.meter import Meter


def test_sums_match_a_direct_computation() -> None:
    meter = Meter(torch.device("cpu"))
    logits = torch.tensor([[2.0, 0.0], [0.0, 2.0], [2.0, 0.0]])
    meter.add(torch.tensor(0.5), logits, torch.tensor([0, 1, 1]))
    meter.add(torch.tensor(1.5), logits[:1], torch.tensor([0]))
    reading = meter.read()
    assert reading.count == 4
    assert math.isclose(reading.loss, (0.5 * 3 + 1.5 * 1) / 4)
    assert math.isclose(reading.acc, 3 / 4)
    assert not reading.nonfinite


def test_soft_targets_count_their_dominant_class() -> None:
    meter = Meter(torch.device("cpu"))
    logits = torch.tensor([[2.0, 0.0], [2.0, 0.0]])
    soft = torch.tensor([[0.7, 0.3], [0.2, 0.8]])
    meter.add(torch.tensor(1.0), logits, soft)
    assert meter.read().acc == 0.5


def test_a_nan_loss_is_remembered_until_reset() -> None:
    meter = Meter(torch.device("cpu"))
    logits = torch.zeros(1, 2)
    meter.add(torch.tensor(float("nan")), logits, torch.tensor([0]))
    meter.add(torch.tensor(1.0), logits, torch.tensor([0]))
    assert meter.read().nonfinite
    meter.reset()
    assert not meter.read().nonfinite and meter.read().count == 0


def test_state_round_trip() -> None:
    meter = Meter(torch.device("cpu"))
    meter.add(torch.tensor(2.0), torch.zeros(2, 3), torch.tensor([0, 1]))
    other = Meter(torch.device("cpu"))
    other.load(meter.state())
    assert other.read() == meter.read()
