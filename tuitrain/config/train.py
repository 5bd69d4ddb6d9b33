"""The `train` and `monitor` sections: how long, on what, how often to report; the monitor, keys."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from tuitrain.config.base import Section

Monitor = Literal["val_loss", "val_acc", "train_loss", "train_acc"]


class Report(Section):
    """How often progress is sent to the monitor, the log and the printer."""

    seconds: Annotated[float, Field(gt=0.0, le=3600.0)] = 0.1
    """At most one progress report per this many seconds."""
    steps: Annotated[int, Field(ge=1)] | None = None
    """Also report every N steps, whatever the time."""


class EarlyStopping(Section):
    """Stop when the monitored metric has not improved for patience validations."""

    monitor: Monitor = "val_loss"
    patience: Annotated[int, Field(ge=1, le=10_000)] = 5
    min_delta: Annotated[float, Field(ge=0.0)] = 0.0


class NanPolicy(Section):
    """What happens when the loss becomes NaN or infinite."""

    policy: Literal["rollback", "stop"] = "rollback"
    """rollback: restore the last good state, lower the learning rate and go on; stop: fail."""
    max_rollbacks: Annotated[int, Field(ge=0, le=100)] = 3
    lr_factor: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.5
    """The learning rate is multiplied by this on every roll-back."""


class Diagnose(Section):
    """Looking inside the run: warnings about the learning curves, layer health, per-class
    results."""

    overfit_patience: Annotated[int, Field(ge=1, le=1000)] = 3
    """Warn when validation loss stays above its best this many validations while training falls."""
    underfit_epochs: Annotated[int, Field(ge=1, le=1000)] = 3
    """Warn when, after this many epochs, training accuracy is still near chance."""
    layers_every: Annotated[int, Field(ge=1)] | None = 50
    """Sample layer health (outputs, dead units, gradient and update norms) on one step in
    this many; null turns it off. The sampled step costs a few extra reductions; the others
    nothing."""
    classes: bool = True
    """Count the confusion matrix and per-class accuracy at each validation."""


class Checkpointing(Section):
    every_epochs: Annotated[int, Field(ge=1)] = 1
    """Save the last checkpoint every N epochs (also on stop, signals and the s key)."""
    monitor: Literal["auto"] | Monitor = "auto"
    """Metric that picks the best checkpoint; auto: val_acc, or train_acc without validation."""
    keep_best: bool = True


class Distributed(Section):
    """Data-parallel training over several processes (`--devices N`, or under torchrun)."""

    steer_every: Annotated[int, Field(ge=1, le=10_000)] = 4
    """The ranks exchange commands (pause, LR, checkpoint, stop) and agree on reports every
    this many steps: a key answers within K steps, and the exchange costs a fraction of a
    millisecond each time."""
    timeout_s: Annotated[float, Field(ge=10.0, le=86_400.0)] = 600.0
    """The longest any collective may wait for the other ranks before the job fails (a pause
    never comes near it: rank 0 keeps the others informed every half second)."""


class Train(Section):
    epochs: Annotated[int, Field(ge=1, le=100_000)] = 10
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = 0
    device: Annotated[str, Field(pattern=r"^(auto|cpu|cuda|cuda:\d{1,2})$")] = "auto"
    """auto picks CUDA when present; or cpu, cuda, cuda:N."""
    devices: Annotated[int, Field(ge=1, le=1024)] = 1
    """Worker processes on this machine, one per GPU (or CPU workers): data-parallel training
    with data.batch_size as the global batch. Under torchrun, torchrun's world size wins."""
    distributed: Distributed = Distributed()
    precision: Literal["auto", "fp32", "bf16", "fp16"] = "auto"
    """auto: bf16 autocast on GPUs that support it, fp32 on CPU."""
    channels_last: Literal["auto"] | bool = "auto"
    """auto: channels_last memory format on CUDA."""
    compile: bool = False
    """torch.compile the model (slow to start; helps long GPU runs)."""
    grad_clip: Annotated[float, Field(gt=0.0)] | None = None
    """Clip the gradient norm to this value."""
    label_smoothing: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.0
    val_every_epochs: Annotated[int, Field(ge=1)] = 1
    val_every_steps: Annotated[int, Field(ge=1)] | None = None
    """Also validate every N steps within an epoch."""
    report: Report = Report()
    early_stopping: EarlyStopping | None = None
    nan: NanPolicy = NanPolicy()
    diagnose: Diagnose = Diagnose()
    checkpoint: Checkpointing = Checkpointing()


class MonitorSettings(Section):
    """How the monitor behaves and what its keys do."""

    lr_factor: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.5
    """The lower-LR key multiplies the rate by this; the raise key divides by it."""
    refresh_hz: Annotated[float, Field(gt=0.0, le=10.0)] | Literal["auto"] = "auto"
    """How often the monitor redraws its text panels. auto: 4 Hz while training on a GPU, 1 Hz
    on a CPU, where every cycle the monitor takes is taken from training."""
    plot_seconds: Annotated[float, Field(ge=0.1, le=600.0)] | Literal["auto"] = "auto"
    """Least time between two redraws of the curves (a new epoch, validation or LR change
    redraws them at once). auto: 1 s on a GPU, 5 s on a CPU."""
    confirm_quit: bool = True
    """Ask before quitting while training runs."""

    def redraw_rates(self, device: str | None) -> tuple[float, float]:
        """(text panel refreshes per second, seconds between plot redraws), 'auto' resolved
        for the device the run trains on (None while it is not known yet)."""
        on_cpu = device == "cpu"
        hz = self.refresh_hz if self.refresh_hz != "auto" else (1.0 if on_cpu else 4.0)
        plots = self.plot_seconds if self.plot_seconds != "auto" else (5.0 if on_cpu else 1.0)
        return hz, plots
