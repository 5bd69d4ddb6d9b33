"""Data-parallel training: several processes (ranks) train one run, rank 0 speaks for it."""
