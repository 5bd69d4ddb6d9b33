"""Events into words: the one set of formatters, and each front end's wording of one event."""

from __future__ import annotations

import math

import pytest

from tuitrain import words
from tuitrain.engine import events as ev


@pytest.mark.parametrize("missing", [None, math.nan, math.inf])
def test_every_formatter_prints_an_unknown_value_the_same_way(missing: float | None) -> None:
    formatters = [words.number, words.loss, words.percent, words.points, words.lr, words.rate]
    assert {f(missing) for f in formatters} | {words.duration(missing)} == {"--"}


def test_numbers_and_durations() -> None:
    assert words.loss(0.25) == "0.2500" and words.number(2.30258) == "2.303"
    assert words.loss(1499518248786379.5) == "1.5e+15"  # a diverged loss: four digits, not 16
    assert words.percent(0.8125) == "81.2%" and words.points(-0.011) == "-1.1 pts"
    assert (words.lr(0.05), words.lr(3e-5), words.lr(0)) == ("0.05", "3e-5", "0")
    assert (words.rate(12345.4), words.rate(42.0)) == ("12,345", "42.0")
    assert (words.duration(63), words.duration(3723), words.duration(400 * 3600)) == (
        "1:03",
        "1:02:03",
        "17d",
    )
    assert (words.count(11_200_000), words.count(900)) == ("11.2M", "900")
    assert (words.counted(1, "epoch"), words.counted(1200, "step")) == ("1 epoch", "1,200 steps")
    assert words.metric_value("val_acc", 0.59) == "59.0%"
    assert words.metric_value("val_loss", 0.5) == "0.5000"


def test_one_event_in_each_front_ends_words() -> None:
    change = ev.LRChanged(
        step=160, lr=0.05, previous=0.1, source="key", reason="x0.5", scale=0.5, cmd_id="c1"
    )
    assert words.headless_line(change) == "learning rate 0.1 -> 0.05 at step 160 (key: x0.5)"
    assert words.ctl_answer(change) == (
        "learning rate 0.1 -> 0.05 (x0.5) at step 160; your scale on the schedule is now x0.5"
    )
    assert words.monitor_line(change) == "LR 0.1 → 0.05 (key, ×0.5) at step 160"


def test_a_refusal_names_the_request_the_monitor_sent() -> None:
    refused = ev.CommandRejected(command="scale_lr", source="key", reason="too high", cmd_id="c")
    assert words.monitor_line(refused, "LR ×2") == "LR ×2 rejected: too high"
    assert words.monitor_line(refused) == "scale_lr rejected: too high"
    assert words.headless_line(refused) == "refused scale_lr from key: too high"


def test_the_headless_log_leaves_out_scheduled_validations_the_epoch_line_reports() -> None:
    scheduled = ev.Validated(step=10, epoch=1.0, val_loss=0.5, val_acc=0.5, seconds=0.1)
    assert words.headless_line(scheduled) is None
    assert (
        words.monitor_line(scheduled)
        == "validated at epoch 1.00: loss 0.5000, acc 50.0% (schedule)"
    )
