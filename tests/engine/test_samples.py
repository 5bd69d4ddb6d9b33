"""The validation mistakes kept on the device equal a brute-force pick; batches as shown."""

from __future__ import annotations

import numpy as np
import torch

from tuitrain.engine.samples import MistakeCollector, Unnormalize, batch_pictures


def _batches(seed: int, count: int, size: int, classes: int = 5):
    gen = torch.Generator().manual_seed(seed)
    for _ in range(count):
        x = torch.rand(size, 3, 4, 4, generator=gen)
        logits = torch.randn(size, classes, generator=gen) * 3
        y = torch.randint(0, classes, (size,), generator=gen)
        yield x, logits, y


def test_the_kept_mistakes_are_the_most_confident_wrong_predictions() -> None:
    unnormalize = Unnormalize((0.0, 0.0, 0.0), (1.0, 1.0, 1.0), torch.device("cpu"))
    collector = MistakeCollector(unnormalize, keep=6)
    collector.start()
    everything = list(_batches(0, 5, 9))
    for x, logits, y in everything:
        collector.add(x, logits, y)
    found = collector.finish()
    assert found is not None
    xs = torch.cat([b[0] for b in everything])
    probs = torch.cat([b[1] for b in everything]).softmax(1)
    ys = torch.cat([b[2] for b in everything])
    confidence, predicted = probs.max(1)
    wrong = (predicted != ys).nonzero().flatten().tolist()
    expected = sorted(wrong, key=lambda i: -confidence[i].item())[:6]
    assert found.total == len(wrong)
    assert found.labels == ys[expected].tolist()
    assert found.predicted == predicted[expected].tolist()
    assert np.allclose(found.confidence, confidence[expected].numpy(), atol=1e-6)
    pixels = (xs[expected] * 255).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()
    assert np.array_equal(found.images, pixels)
    assert all(t != p for t, p in zip(found.labels, found.predicted, strict=True))


def test_fewer_mistakes_than_kept_and_none_at_all() -> None:
    unnormalize = Unnormalize((0.5,), (0.25,), torch.device("cpu"))
    collector = MistakeCollector(unnormalize, keep=8)
    collector.start()
    x = torch.zeros(4, 1, 2, 2)
    y = torch.tensor([0, 1, 2, 3])
    logits = torch.nn.functional.one_hot(torch.tensor([0, 1, 2, 0]), 4).float() * 5
    collector.add(x, logits, y)
    found = collector.finish()
    assert found is not None and found.total == 1 and found.labels == [3] and found.predicted == [0]
    # Unnormalized: 0 * 0.25 + 0.5 -> 128 (rounded), grey repeated to three channels.
    assert found.images.shape == (1, 2, 2, 3) and (found.images == 128).all()
    collector.start()
    assert collector.finish() is None


def test_a_mixed_training_batch_shows_its_two_label_weights() -> None:
    unnormalize = Unnormalize((0.0,) * 3, (1.0,) * 3, torch.device("cpu"))
    x = torch.rand(20, 3, 4, 4)
    soft = torch.zeros(20, 4)
    soft[:, 1], soft[:, 3] = 0.7, 0.3
    shown = batch_pictures(x, soft, unnormalize)
    assert len(shown.labels) == 16 and set(shown.labels) == {1} and set(shown.predicted) == {3}
    assert np.allclose(shown.confidence, 0.7)
    hard = batch_pictures(x[:3], torch.tensor([2, 0, 1]), unnormalize)
    assert hard.labels == [2, 0, 1] and hard.predicted == [-1, -1, -1] and hard.total == 3
