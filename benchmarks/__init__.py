"""Benchmarks for tuitrain: not tests, not run by CI. See benchmarks/README.md."""
