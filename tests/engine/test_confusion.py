"""The confusion matrix against a count done by hand, and what the event derives from it."""

from __future__ import annotations

import torch

from tuitrain.engine.confusion import ConfusionCounter
from tuitrain.engine.events import ClassesCounted, class_accuracies, event_from_json


def logits_for(predicted: list[int], classes: int) -> torch.Tensor:
    return torch.eye(classes)[predicted] * 5 - 1


def test_the_matrix_equals_a_count_by_hand() -> None:
    counter = ConfusionCounter(["a", "b", "c"], torch.device("cpu"))
    counter.begin()
    # true:      0  0  0  1  1  2  2  2
    # predicted: 0  1  0  1  2  2  0  2
    inputs = torch.zeros(5, 1, 1, 1)  # the counter looks at predictions and labels only
    counter.add(inputs[:3], logits_for([0, 1, 0], 3), torch.tensor([0, 0, 0]))
    counter.add(inputs, logits_for([1, 2, 2, 0, 2], 3), torch.tensor([1, 1, 2, 2, 2]))
    by_hand = [
        [2, 1, 0],  # class 0: two right, one taken for 1
        [0, 1, 1],  # class 1: one right, one taken for 2
        [1, 0, 2],  # class 2: two right, one taken for 0
    ]
    assert counter.read() == by_hand
    counter.begin()
    assert counter.read() == [[0] * 3] * 3


def test_per_class_accuracies_add_up_to_the_overall_accuracy() -> None:
    matrix = [[2, 1, 0], [0, 1, 1], [1, 0, 2], [0, 0, 0]]
    acc = class_accuracies(matrix)
    assert acc == [2 / 3, 1 / 2, 2 / 3, None]
    images = [sum(row) for row in matrix]
    weighted = sum(a * n for a, n in zip(acc, images, strict=True) if a is not None)
    assert weighted / sum(images) == 5 / 8  # the diagonal over all images


def test_the_event_orders_worst_classes_and_confused_pairs() -> None:
    matrix = [[8, 2, 0], [5, 4, 1], [0, 0, 10]]
    event = ClassesCounted(
        step=10, epoch=1.0, names=["a", "b", "c"], matrix=matrix, acc=class_accuracies(matrix)
    )
    assert event.worst_classes() == [1, 0, 2]
    assert event.confused_pairs(2) == [(1, 0, 5), (0, 1, 2)]
    again = event_from_json(event.to_json())
    assert again == event
