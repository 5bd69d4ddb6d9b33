"""tuitrain: a terminal training monitor for convolutional image classifiers in PyTorch."""

import os

__version__ = "0.1.0"

# tuitrain trains beside a monitor thread, often on shared machines. OpenMP's default is to
# keep idle worker threads spinning; when another thread needs the core, every parallel region
# then waits for a descheduled spinner (measured: 10x slower CPU training on 2 busy cores).
# Passive waiting costs nothing measurable when the cores are free. OpenMP reads this when
# torch loads, so it is set here, before any tuitrain module imports torch; a value the user
# set is kept.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
