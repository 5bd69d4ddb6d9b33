"""tuitrain: a terminal training monitor for convolutional image classifiers in PyTorch."""

__version__ = "0.1.0"
