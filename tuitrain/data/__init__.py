"""Datasets, splits, normalization and the two batch loaders (in-memory on device, streaming)."""

from tuitrain.data.augment import BatchAugment
from tuitrain.data.prepare import prepare_data
from tuitrain.data.prepared import EvalLoader, PreparedData, TrainLoader

__all__ = ["BatchAugment", "EvalLoader", "PreparedData", "TrainLoader", "prepare_data"]
