"""The names of the files in a run directory (docs/run-directory.md): their one home.

Every module that opens one of them takes its name from here; nothing else imports anything,
so the monitor, the control channel and the listings can use them without loading torch.
"""

from __future__ import annotations

EVENTS = "events.jsonl"
"""Every event, one JSON line each, flushed as it happens (runs/log.py writes it)."""
METRICS = "metrics.csv"
"""One row per epoch."""
STATUS = "status.json"
"""What `tuitrain runs` lists: state, epochs, best metric, times."""
PRESET = "preset.yaml"
"""The resolved preset the run trained."""
CHECKPOINTS = "checkpoints"
"""The folder of checkpoints: LAST, PREVIOUS and BEST."""
LAST = "last.pt"
PREVIOUS = "previous.pt"
"""The checkpoint before the last, kept for when the last is damaged."""
BEST = "best.pt"
SOCKET = "control.sock"
"""The control channel's socket, when its path is short enough to live in the run directory."""
SKIPPED_FILES = "skipped_files.txt"
"""The image files the run could not read (path, tab, reason), when there were any."""
CONSOLE_LOG = "console.log"
"""Where a run keeps logging after its terminal hung up."""
SAMPLES = "samples"
"""Pictures of the run (runs/samples.py): `<kind>.npz` for the monitor, `<kind>.png` beside it."""
LR_FIND = "lr_find.csv"
"""The curve of a learning-rate range test (in a run directory of kind lr_find)."""
