"""The trainer: the public face of a run (a thread, a command queue, an event bus, the result).

The loop itself reads top to bottom in `loop.py` (`TrainingRun`); this module starts it on
its own thread and turns whatever ends it into the run's last event.

Data flows one way (events out, through the bus), intent the other (commands in, through a
queue). Commands are applied only between optimizer steps, and each one comes back as an event
that carries its id. Nothing else crosses the thread boundary.
"""

from __future__ import annotations

import gc
import queue
import threading
from pathlib import Path
from typing import Any

import torch

from tuitrain.config.preset import Preset
from tuitrain.engine import commands as cmd
from tuitrain.engine import events as ev
from tuitrain.engine.bus import Consumer, EventBus
from tuitrain.engine.checkpointer import CheckpointSink, ResumePoint
from tuitrain.engine.loop import TrainingRun
from tuitrain.engine.loop_control import failed_event
from tuitrain.engine.samples import SampleSink
from tuitrain.engine.setup import Setup
from tuitrain.engine.supplied import Supplied
from tuitrain.engine.world import SingleProcess, World

__all__ = ["ResumePoint", "Trainer"]


class Trainer:
    """Train a preset. `run()` trains on the calling thread; `start()` on a daemon thread."""

    def __init__(
        self,
        preset: Preset,
        *,
        name: str = "preset",
        resolved: dict[str, Any] | None = None,
        run_dir: str | None = None,
        skipped_files: Path | None = None,
        checkpoints: CheckpointSink | None = None,
        resume: ResumePoint | None = None,
        world: World | None = None,
        samples: SampleSink | None = None,
        supplied: Supplied | None = None,
    ) -> None:
        """`supplied`: the model and datasets of a tuitrain.fit() call."""
        self.preset = preset
        self.name = name
        self.resolved = resolved if resolved is not None else preset.model_dump(mode="json")
        self.run_dir = run_dir
        self.skipped_files = skipped_files
        """Where the image files that cannot be read are listed (the run directory's)."""
        self.bus = EventBus()
        self.result: ev.Finished | ev.Failed | None = None
        self._checkpoints = checkpoints
        self._resume = resume
        self.supplied = supplied
        self._world: World = world if world is not None else SingleProcess()
        self._samples = samples
        self._queue: queue.SimpleQueue[cmd.Command] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._run: TrainingRun | None = None

    def subscribe(self, consumer: Consumer) -> None:
        self.bus.subscribe(consumer)

    def submit(self, command: cmd.Command) -> None:
        """Queue a command from any thread (also from a signal handler: the put is reentrant)."""
        self._queue.put(command)

    @property
    def setup(self) -> Setup:
        """What the current run trains with (its model, data, optimizer...)."""
        if self._run is None:
            raise RuntimeError("the trainer is not set up")
        return self._run.setup

    def model_state(self) -> dict[str, torch.Tensor]:
        """The model's weights (shared with the live model: copy them to keep them)."""
        return self.setup.model.state_dict()

    @property
    def resuming(self) -> bool:
        """Whether this trainer continues a run from a checkpoint."""
        return self._resume is not None

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="tuitrain-trainer", daemon=True)
        self._thread.start()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the training thread; True when it has ended."""
        if self._thread is None:
            return self.result is not None
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def run(self) -> ev.Finished | ev.Failed:
        try:
            self._run = TrainingRun(self)
            self.result = self._run.train()
        except Exception as exc:
            step = self._run.progress.step if self._run is not None else None
            explained = self._world.explain(exc)
            self.result = failed_event(explained, step=step, batch_size=self.preset.data.batch_size)
            if isinstance(exc, torch.OutOfMemoryError):
                self._run = None  # frees the run's tensors
                gc.collect()
                if torch.cuda.is_available():
                    torch.cuda.empty_cache()
        self.bus.emit(self.result)
        return self.result
