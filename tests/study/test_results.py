"""Each run's measures from its epoch rows, and the table of means and spreads."""

from __future__ import annotations

from tuitrain.study.report import markdown_table, summary_csv
from tuitrain.study.results import result_of, summarize


def row(epoch: int, train_acc: float, val_acc: float, val_loss: float, elapsed: float) -> dict:
    return {
        "epoch": epoch,
        "train_acc": train_acc,
        "val_acc": val_acc,
        "val_loss": val_loss,
        "elapsed_s": elapsed,
    }


ROWS = [row(1, 0.40, 0.35, 1.8, 10.0), row(2, 0.70, 0.62, 1.1, 20.0), row(3, 0.80, 0.60, 1.2, 30.0)]


def test_a_run_s_best_final_target_gap_and_time() -> None:
    result = result_of(ROWS, variant="a", seed=0, status="completed", target=0.6)
    assert result.best_val_acc == 0.62
    assert result.final_val_acc == 0.60
    assert result.best_val_loss == 1.1
    assert result.final_val_loss == 1.2
    assert (result.epochs_to_target, result.seconds_to_target) == (2, 20.0)
    assert abs(result.gap - 0.20) < 1e-12
    assert result.seconds == 30.0
    assert result_of(ROWS, variant="a", seed=0, status="x", target=0.9).epochs_to_target is None
    empty = result_of([], variant="a", seed=1, status="interrupted", target=0.6)
    assert (empty.epochs, empty.best_val_acc) == (0, None)


def test_the_table_gives_mean_and_spread_over_seeds_and_who_reached_the_target() -> None:
    first = result_of(ROWS, variant="a", seed=0, status="completed", target=0.6)
    second = result_of(ROWS[:2], variant="a", seed=1, status="completed", target=0.65)
    summaries = summarize([first, second], ["a", "b"])
    table = markdown_table(summaries, 0.6).splitlines()
    assert table[0].startswith("| variant | runs | best val acc % | final val acc % |")
    assert "| epochs to 60% | s to 60% |" in table[0]
    cells = [cell.strip() for cell in table[2].split("|")[1:-1]]
    assert cells[:4] == ["a", "2", "62.0 ± 0.0", "61.0 ± 1.4"]
    assert cells[6:8] == ["2.0 (1/2)", "20 (1/2)"]  # the second run aimed at 65%: not reached
    assert table[3].startswith("| b | 0 | - |")
    csv_rows = summary_csv(summaries).splitlines()
    assert csv_rows[0].startswith("variant,runs,failed,best_val_acc_mean,best_val_acc_spread")
    assert csv_rows[1].startswith("a,2,0,0.62,0.0,2,")
