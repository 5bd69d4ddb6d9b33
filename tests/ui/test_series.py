"""The bounded series behind every curve."""

from __future__ import annotations

import math
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tuitrain.ui.series import BucketSeries, envelope


def test_short_series_keep_every_point_exactly() -> None:
    series = BucketSeries(capacity=8)
    for i in range(5):
        series.append(float(i), i * 10.0)
    assert series.means() == [(float(i), i * 10.0) for i in range(5)]


def test_unplottable_values_are_skipped() -> None:
    series = BucketSeries(capacity=8)
    for y in (None, math.nan, math.inf, -math.inf, 1.0):
        series.append(1.0, y)
    assert series.total == 1 and series.means() == [(1.0, 1.0)]


@pytest.fixture(scope="module")
def million() -> BucketSeries:
    """A million points with one spike, built once for the tests below."""
    series = BucketSeries(capacity=1024)
    for i in range(1_000_000):
        series.append(i / 1000, 50.0 if i == 777_777 else 1.0 + (i % 7) / 100)
    return series


def test_a_million_points_stay_bounded_and_keep_their_spike(million: BucketSeries) -> None:
    assert len(million) <= 1024
    assert million.total == 1_000_000
    assert million.x_range() == (0.0, 999.999)
    columns = million.columns(80)
    assert len(columns) <= 80
    assert max(c.high for c in columns) == 50.0
    spike = next(c for c in columns if c.high == 50.0)
    assert 770 < spike.x < 790
    assert min(c.low for c in columns) == 1.0


def test_drawing_a_million_points_costs_what_a_thousand_do(million: BucketSeries) -> None:
    def cost(series: BucketSeries) -> tuple[float, int]:
        start = time.perf_counter()
        for _ in range(20):
            columns = series.columns(160)
        return (time.perf_counter() - start) / 20, len(columns)

    thousand = BucketSeries(capacity=1024)
    for i in range(1000):
        thousand.append(float(i), math.sin(i / 100))
    small, small_columns = cost(thousand)
    large, large_columns = cost(million)
    assert small_columns <= 160 and large_columns <= 160
    assert large < 0.05  # generous: a 10 Hz redraw of several plots must stay cheap
    assert large < max(10 * small, 0.01)


@given(
    st.lists(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), min_size=1, max_size=300),
    st.integers(min_value=1, max_value=50),
)
def test_columns_preserve_the_extremes(values: list[float], width: int) -> None:
    series = BucketSeries(capacity=16)
    for i, y in enumerate(values):
        series.append(float(i), y)
    columns = series.columns(width)
    assert 1 <= len(columns) <= width
    assert min(c.low for c in columns) == min(values)
    assert max(c.high for c in columns) == max(values)
    xs, ys = envelope(columns)
    assert (len(xs) == len(ys) and min(ys) == min(values)) or len(set(values)) == 1


def test_a_roll_back_to_an_earlier_step_shares_columns_with_the_first_pass() -> None:
    series = BucketSeries(capacity=8)
    for x, y in ((0.0, 1.0), (1.0, 2.0), (2.0, 3.0), (1.2, 100.0), (2.5, 4.0)):
        series.append(x, y)
    assert series.x_range() == (0.0, 2.5)
    columns = series.columns(5)
    assert [round(c.x, 2) for c in columns] == [0.0, 1.1, 2.25]
    assert columns[1].low == 2.0 and columns[1].high == 100.0
