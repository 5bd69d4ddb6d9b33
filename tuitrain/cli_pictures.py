"""`tuitrain preview`: the preset's training images and their augmented copies."""

from __future__ import annotations

import argparse
from pathlib import Path

from tuitrain.cli_common import Command, add_set_option, can_draw


def _preview_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "preset", metavar="PRESET", help="a preset file, or a bundled preset's name"
    )
    add_set_option(parser)
    parser.add_argument("--images", type=int, default=6, metavar="N", help="images (rows); 6")
    parser.add_argument(
        "--copies", type=int, default=4, metavar="K", help="augmented copies of each; 4"
    )
    parser.add_argument("--class", dest="class_name", metavar="NAME", help="only this class")
    parser.add_argument("--seed", type=int, default=0, help="which sample to draw; 0")
    parser.add_argument("--no-augment", action="store_true", help="originals only")
    parser.add_argument(
        "--out", type=Path, metavar="FILE.png", help="write the grid as a PNG instead of drawing it"
    )


def preview(args: argparse.Namespace) -> int:
    """Draw the grid in the terminal, or write it as a PNG (with --out, or without a terminal)."""
    from tuitrain.config.loader import load_preset
    from tuitrain.errors import UserError
    from tuitrain.pictures.preview import PreviewData, PreviewRequest

    if not 1 <= args.images <= 64 or not 0 <= args.copies <= 16:
        raise UserError("--images takes 1 to 64 and --copies 0 to 16")
    loaded = load_preset(args.preset, args.overrides)
    data = PreviewData(loaded.preset)
    request = PreviewRequest(
        images=args.images,
        copies=args.copies,
        class_index=data.class_index(args.class_name) if args.class_name else None,
        seed=args.seed,
        augment=not args.no_augment,
    )
    name = Path(args.preset).stem
    out = args.out
    if out is None and not can_draw():
        out = Path(f"preview-{name}.png")
    if out is not None:
        return _write(data, request, out)
    from tuitrain.ui.preview import PreviewApp

    PreviewApp(data, request, name).run()
    return 0


def _write(data: object, request: object, out: Path) -> int:
    from tuitrain.errors import UserError
    from tuitrain.pictures.preview import PreviewData, PreviewRequest
    from tuitrain.pictures.sheet import write_sheet

    assert isinstance(data, PreviewData) and isinstance(request, PreviewRequest)
    if out.suffix.lower() != ".png":
        raise UserError(f"--out {out}: the preview is written as PNG", hint="name a .png file")
    grid = data.draw(request)
    try:
        width, height = write_sheet(grid, out)
    except OSError as error:
        raise UserError(f"cannot write {out}: {error.strerror or error}") from error
    copies = len(grid[0]) - 1
    what = f"{copies} augmented copies each" if copies else "originals only"
    if not copies and request.augment and not data.augmentations:
        what += " (the preset has no augmentation)"
    print(f"wrote {out} ({width}x{height} px): {len(grid)} images, {what}")
    return 0


PICTURE_COMMANDS = [
    Command(
        "preview",
        "show training images beside what the preset's augmentation makes of them",
        _preview_arguments,
        preview,
        example="examples:\n  tuitrain preview crop-flip\n  tuitrain preview mixup --out mixup.png"
        "\n  tuitrain preview mine.yaml --class cat --copies 6",
    ),
]
