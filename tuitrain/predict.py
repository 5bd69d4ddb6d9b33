"""`tuitrain predict RUN IMAGE_OR_FOLDER...`: the top classes of each image, by a trained run.

Each image gets the run's own resizing and normalization. A path that does not exist or a
file that is not an image is reported on its line and the others are still predicted.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Prediction:
    path: str
    top: list[tuple[str, float]] = field(default_factory=list)
    """(class name, probability), most probable first."""
    error: str = ""


def image_paths(given: list[str]) -> Iterator[tuple[str, str]]:
    """(path, problem) for each file named or inside a named folder (recursively, sorted);
    the problem is empty for a path that exists."""
    for text in given:
        path = Path(text).expanduser()
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
            if not files:
                yield text, "an empty folder"
            for file in files:
                yield str(file), ""
        elif path.is_file():
            yield text, ""
        else:
            yield text, "no such file or folder"


def predict(
    run: str, paths: list[str], *, top: int, which: str, runs_dir: str | None
) -> list[Prediction]:
    """The predictions for every image, in the order given."""
    import torch
    from PIL import Image, UnidentifiedImageError

    from tuitrain.use import load

    trained = load(run, which, runs_dir=runs_dir)  # type: ignore[arg-type]
    k = min(top, len(trained.classes))
    results: list[Prediction] = []
    for path, problem in image_paths(paths):
        if problem:
            results.append(Prediction(path, error=problem))
            continue
        try:
            with Image.open(path) as image:
                x = trained.preprocess(image)
        except (UnidentifiedImageError, OSError, ValueError) as exc:
            kind = "not an image" if isinstance(exc, UnidentifiedImageError) else str(exc)
            results.append(Prediction(path, error=kind))
            continue
        with torch.inference_mode():
            probabilities = trained.model(x).float().softmax(1)[0]
        values, indices = probabilities.topk(k)
        pairs = zip(indices.tolist(), values.tolist(), strict=True)
        results.append(Prediction(path, [(trained.classes[i], p) for i, p in pairs]))
    return results


def table(results: list[Prediction]) -> str:
    width = max(len(r.path) for r in results)
    lines = []
    for result in results:
        if result.error:
            lines.append(f"{result.path:<{width}}  error: {result.error}")
        else:
            guesses = "  ".join(f"{name} {p:6.1%}" for name, p in result.top)
            lines.append(f"{result.path:<{width}}  {guesses}")
    return "\n".join(lines)


def as_json(results: list[Prediction]) -> str:
    rows = [
        {"path": r.path, "error": r.error}
        if r.error
        else {"path": r.path, "top": [{"class": n, "probability": p} for n, p in r.top]}
        for r in results
    ]
    return json.dumps(rows, indent=2)
