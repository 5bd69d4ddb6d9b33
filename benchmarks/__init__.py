"""Benchmarks for tuitrain: not tests, not run by CI. See benchmarks/README.md.

Run them as modules (`python -m benchmarks.overhead`): this package is then imported before any
script imports torch, and importing tuitrain here sets OMP_WAIT_POLICY=PASSIVE exactly as a real
run does, so bare loops and tuitrain runs in one process share the same OpenMP behaviour.
"""

import tuitrain  # noqa: F401
