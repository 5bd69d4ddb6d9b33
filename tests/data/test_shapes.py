import time

import torch

from tuitrain.data.sdf import SHAPES
from tuitrain.data.shapes import CLASS_NAMES, draw_shapes


def test_ten_thousand_shapes_draw_in_well_under_five_seconds() -> None:
    # One thread: on a busy shared machine, spinning intra-op threads make wall time erratic;
    # one thread is the slower, steadier measure (about 1.2 s here when the machine is quiet).
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        started = time.perf_counter()
        shapes = draw_shapes(10_000)
        elapsed = time.perf_counter() - started
    finally:
        torch.set_num_threads(threads)
    assert elapsed < 5.0, f"drawing took {elapsed:.2f} s"
    assert shapes.images.shape == (10_000, 3, 32, 32) and shapes.images.dtype == torch.uint8
    assert torch.bincount(shapes.labels).tolist() == [1000] * 10


def test_same_seed_same_images_other_seed_other_images() -> None:
    a = draw_shapes(50, image_size=20, seed=3)
    b = draw_shapes(50, image_size=20, seed=3)
    c = draw_shapes(50, image_size=20, seed=4)
    assert torch.equal(a.images, b.images) and torch.equal(a.labels, b.labels)
    assert not torch.equal(a.images, c.images)


def test_every_clean_image_shows_a_contrasting_shape() -> None:
    shapes = draw_shapes(1100, image_size=16, seed=1, clutter=0, noise=0.0)  # crosses a chunk
    assert shapes.images.shape == (1100, 3, 16, 16)
    per_image_spread = shapes.images.float().flatten(2).std(2).max(1).values
    assert per_image_spread.min() > 20  # the shape differs from its background in every image


def test_noise_and_clutter_change_the_pixels_not_the_labels() -> None:
    clean = draw_shapes(40, image_size=24, noise=0.0, clutter=0)
    noisy = draw_shapes(40, image_size=24, noise=0.2, clutter=0)
    cluttered = draw_shapes(40, image_size=24, noise=0.0, clutter=4)
    assert torch.equal(clean.labels, noisy.labels)
    diff = (noisy.images.float() - clean.images.float()).std().item()
    assert 0.15 * 255 < diff < 0.25 * 255
    assert (cluttered.images != clean.images).any(1).float().mean() > 0.05


def test_every_shape_is_inside_at_its_centre_and_outside_far_away() -> None:
    u = torch.tensor([0.0, 3.0, -3.0, 0.0])
    v = torch.tensor([0.0, 0.0, 0.0, 3.0])
    for name, sdf in SHAPES.items():
        d = sdf(u, v)
        inside = name not in {"ring", "crescent"}  # hollow at the centre
        assert (d[0] < 0) == inside, name
        assert (d[1:] > 0.5).all(), name  # polygon fields are edge-line distances: lower
    assert len(CLASS_NAMES) == 10


def test_shape_areas_are_distinct_enough_to_matter_but_similar_in_size() -> None:
    grid = torch.linspace(-1.5, 1.5, 301)
    v, u = torch.meshgrid(grid, grid, indexing="ij")
    areas = {name: (sdf(u, v) < 0).float().mean().item() * 9 for name, sdf in SHAPES.items()}
    assert all(0.5 < a < 3.2 for a in areas.values()), areas


def test_a_linear_model_on_raw_pixels_stays_near_chance() -> None:
    # Position, angle and colours are random, so no pixel weighting separates the classes:
    # logistic regression fits its training images yet scores near 10% on new ones.
    torch.manual_seed(0)
    shapes = draw_shapes(2000, seed=5)
    x = shapes.images.flatten(1).float() / 255
    x = (x - x.mean(0)) / (x.std(0) + 1e-6)
    y = shapes.labels
    model = torch.nn.Linear(x.shape[1], 10)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(150):
        loss = torch.nn.functional.cross_entropy(model(x[:1500]), y[:1500])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        train_acc = (model(x[:1500]).argmax(1) == y[:1500]).float().mean().item()
        val_acc = (model(x[1500:]).argmax(1) == y[1500:]).float().mean().item()
    assert train_acc > 0.5
    assert val_acc < 0.2
