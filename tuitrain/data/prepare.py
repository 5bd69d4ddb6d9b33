"""prepare_data: from the preset's data and augment sections to ready-to-use loaders."""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterator
from pathlib import Path

import torch

from tuitrain import words
from tuitrain.config.augment import Augment
from tuitrain.config.data import DataSection
from tuitrain.data import capacity
from tuitrain.data.badfiles import BadFile, BadFiles
from tuitrain.data.folder import decode_problem
from tuitrain.data.images import DatasetSet, FileSet, Images, ImageSet, first
from tuitrain.data.loaders import LoaderPlan, memory_loaders, stream_loaders
from tuitrain.data.prepared import PreparedData
from tuitrain.data.shard import WHOLE, Shard, check_shares
from tuitrain.data.sources import GivenDatasets, bad_files_for, load_source
from tuitrain.data.stats import (
    Normalizer,
    Stats,
    channel_stats,
    check_stats,
    given_stats,
    uint8_chunks,
)
from tuitrain.data.stream import SampleDataset, make_loader, resolve_workers
from tuitrain.data.user_loaders import user_loaders
from tuitrain.errors import UserError
from tuitrain.usercode import USER_MODULE_PREFIX

Log = Callable[[str], None]
_FILES_PER_WORKER_START = 4096
"""Below this many files, decoding in-process beats starting worker processes."""


def prepare_data(
    data: DataSection,
    augment: Augment,
    *,
    device: torch.device,
    seed: int,
    channels_last: bool = False,
    log: Log = lambda message: None,
    stats: Stats | None = None,
    shard: Shard = WHOLE,
    skipped_list: Path | None = None,
    given: GivenDatasets | None = None,
) -> PreparedData:
    """Load, split and subset the images, fix the normalization, and build both loaders.

    `stats` are normalization statistics restored from a checkpoint: they win over the preset,
    so a resumed run sees its inputs scaled exactly as before. `shard`: this rank's share of
    every batch and of the validation set, when several ranks train the run. Image files that
    cannot be read are listed in `skipped_list` (see badfiles). `given` holds the datasets of a
    tuitrain.fit() call.
    """
    if given is not None and given.loaders:
        return user_loaders(
            given.train,
            given.val,
            given.classes,
            device=device,
            channels_last=channels_last,
            log=log,
        )
    bad = bad_files_for(data, skipped_list)
    source = load_source(data, log, bad, given)
    train: Images = first(source.train, data.train_subset)
    val = first(source.val, data.val_subset) if source.val is not None else None
    _check_batches(data, len(train))
    check_shares(len(train), data.batch_size, data.drop_last, shard.count)
    _check_crop(augment, train.shape)
    workers = _workers_for(train, resolve_workers(data.workers), log)
    kind = choose_loader(data.loader, train, val, device)
    if kind == "memory":
        train = _decoded(train, workers, log, bad)
        val = _decoded(val, workers, log, bad) if val is not None else None
        nbytes = train.nbytes + (val.nbytes if val is not None else 0)
        log(f"keeping {nbytes / 2**20:.1f} MiB of images on the {words.device(str(device))}")
    else:
        log(f"streaming images with {workers} worker process{'es' if workers != 1 else ''}")
    used = _resolve_stats(data, train, stats, workers, log, bad)
    normalize = Normalizer(used, device)
    num_classes = len(source.class_names)
    plan = LoaderPlan(
        data=data,
        augment=augment,
        seed=seed,
        device=device,
        channels_last=channels_last,
        normalize=normalize,
        num_classes=num_classes,
        mean=used[0],
        workers=workers,
        shard=shard,
        bad=bad,
        log=log,
    )
    if kind == "memory":
        assert isinstance(train, ImageSet) and (val is None or isinstance(val, ImageSet))
        loaders = memory_loaders(plan, train, val)
    else:
        loaders = stream_loaders(plan, train, val)
    return PreparedData(
        train=loaders[0],
        val=loaders[1],
        num_classes=num_classes,
        class_names=list(source.class_names),
        image_shape=train.shape,
        train_size=len(train),
        val_size=len(val) if val is not None else 0,
        mean=used[0],
        std=used[1],
        loader=kind,
        exact_resume=kind == "memory",
    )


def choose_loader(choice: str, train: Images, val: Images | None, device: torch.device) -> str:
    """'auto' keeps the data on the device when its uint8 bytes fit a share of free memory."""
    if choice != "auto":
        return choice
    nbytes = train.nbytes + (val.nbytes if val is not None else 0)
    decoded_in_ram = isinstance(train, ImageSet)
    if not decoded_in_ram and not capacity.fits(nbytes, torch.device("cpu")):
        return "stream"
    if device.type == "cpu" and decoded_in_ram:
        return "memory"  # already in RAM: keeping it there costs nothing more
    return "memory" if capacity.fits(nbytes, device) else "stream"


def _check_batches(data: DataSection, train_size: int) -> None:
    if data.drop_last and train_size < data.batch_size:
        raise UserError(
            f"data.batch_size {data.batch_size} is larger than the {train_size} training images, "
            "and data.drop_last drops that only, partial batch",
            hint=f"lower data.batch_size to {train_size} or less, or set data.drop_last: false",
        )


def _check_crop(augment: Augment, shape: tuple[int, int, int]) -> None:
    crop, side = augment.crop, min(shape[1:])
    if crop is not None and crop.fill == "reflect" and crop.padding >= side:
        raise UserError(
            f"augment.crop.padding {crop.padding} cannot be mirrored from {side}-pixel images",
            hint=f"use augment.crop.padding below {side}, or augment.crop.fill: zeros",
        )


def _workers_for(images: Images, workers: int, log: Log) -> int:
    """No worker processes for a user's dataset that cannot be sent to them (a class defined
    in a notebook, an open file handle): it is read in this process instead."""
    if workers == 0 or not isinstance(images, DatasetSet):
        return workers
    module = type(images.reader.dataset).__module__
    reason = ""
    if module == "__main__" or module.startswith(USER_MODULE_PREFIX):
        reason = f"its class lives in {module}, which worker processes cannot import"
    else:
        try:
            pickle.dumps(images.reader)
        except Exception as exc:
            reason = str(exc)
    if reason:
        log(f"reading the dataset in this process, not in workers: {reason}")
        return 0
    return workers


def _file_batches(
    images: FileSet | DatasetSet, workers: int, failed: list[int]
) -> Iterator[torch.Tensor]:
    """Decoded uint8 batches in order; worker processes only where they pay for their start.
    The indices of files that could not be decoded (their rows hold a stand-in) go to
    `failed`."""
    workers = workers if len(images) >= _FILES_PER_WORKER_START else 0
    loader = make_loader(
        SampleDataset(images, None),
        batch_size=256,
        workers=workers,
        device=torch.device("cpu"),
        persistent=False,
    )
    for batch, _, unreadable in loader:
        failed.extend(unreadable[unreadable >= 0].tolist())
        yield batch


def _unreadable(images: FileSet | DatasetSet, failed: list[int], bad: BadFiles, log: Log) -> None:
    """Count the files decoding found unreadable (truncated bodies pass the scan's header
    check) against the same limit as the scan's. A user's dataset has no files to skip."""
    if not isinstance(images, FileSet):
        return
    found = [BadFile(images.paths[i], decode_problem(images.paths[i])) for i in failed]
    bad.check(found, len(images), None, log)


def _decoded(images: Images, workers: int, log: Log, bad: BadFiles) -> ImageSet:
    if isinstance(images, ImageSet):
        return images
    log(f"decoding {len(images)} images")
    failed: list[int] = []
    decoded = torch.cat(list(_file_batches(images, workers, failed)))
    if not failed:
        return ImageSet(decoded, images.labels)
    _unreadable(images, failed, bad, log)
    keep = torch.ones(len(images), dtype=torch.bool)
    keep[failed] = False
    return ImageSet(decoded[keep], images.labels[keep])


def _resolve_stats(
    data: DataSection,
    train: Images,
    restored: Stats | None,
    workers: int,
    log: Log,
    bad: BadFiles,
) -> Stats:
    channels = train.shape[0]
    if restored is not None:
        check_stats(restored, channels, "the checkpoint's normalization statistics")
        return tuple(map(float, restored[0])), tuple(map(float, restored[1]))
    fixed = given_stats(data.normalize, channels)
    if fixed is not None:
        return fixed
    log("computing channel statistics")
    if isinstance(train, ImageSet):
        mean, std = channel_stats(uint8_chunks(train.images))
    else:
        failed: list[int] = []
        mean, std = channel_stats(_file_batches(train, workers, failed))
        _unreadable(train, failed, bad, log)  # said now; training replaces them as they come
    # A constant channel carries nothing to scale; dividing by its zero std would make NaNs.
    return mean, tuple(s if s > 1e-6 else 1.0 for s in std)
