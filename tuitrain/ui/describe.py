"""One-line descriptions of a run's resolved preset (RunStarted.preset), for the Run panel.

The preset arrives as plain JSON data, possibly written by a newer or older tuitrain, so every
lookup tolerates missing keys: a panel line goes blank rather than the monitor failing.
"""

from __future__ import annotations

from typing import Any

from tuitrain import words

_OPTIM_EXTRAS = (("momentum", "mom"), ("betas", "betas"), ("alpha", "alpha"))
_SCHEDULE_DETAILS = {
    "plateau": (("factor", "×"), ("patience", "pat ")),
    "step": (("step_epochs", "every "), ("gamma", "×")),
    "warmup_cosine": (("warmup_epochs", "warmup "),),
    "cyclic": (("cycle_epochs", "cycle "),),
    "onecycle": (("max_lr", "max "), ("pct_start", "up ")),
}


def complete(preset: dict[str, Any]) -> dict[str, Any]:
    """The preset with its defaults filled in (a resolved preset lists only what was set).
    A preset this version cannot validate (a newer writer, a dataset folder that only exists on
    the training machine) is described as it is."""
    from pydantic import ValidationError

    from tuitrain.config.preset import Preset
    from tuitrain.config.renamed import RENAMED

    try:
        current = {RENAMED.get(key, key): value for key, value in preset.items()}
        return Preset.model_validate(current).model_dump(mode="json")
    except (ValidationError, TypeError, ValueError):
        return preset


def _section(preset: dict[str, Any], name: str) -> dict[str, Any]:
    value = preset.get(name)
    return value if isinstance(value, dict) else {}


def short(value: Any) -> str:
    """Compact numbers: 0.9, 5e-4, 0.9,0.999."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return f"{value:.0e}".replace("e-0", "e-") if 0 < abs(value) < 1e-3 else f"{value:g}"
    if isinstance(value, (list, tuple)):
        return ",".join(short(v) for v in value)
    return str(value)


def optimizer(preset: dict[str, Any], *, lr: float | None = None, scale: float = 1.0) -> str:
    """`sgd lr 0.05 mom 0.9`; `lr` is the rate to show instead of the preset's (the current
    one), and a user's scale on the schedule follows it: `lr 0.025 you ×0.5`."""
    optim = _section(preset, "optim")
    if not optim:
        return ""
    rate = f"lr {words.lr(optim.get('lr') if lr is None else lr)}"
    if scale != 1:
        rate += f" you ×{scale:.3g}"
    parts = [str(optim.get("kind", "?")), rate]
    for key, label in _OPTIM_EXTRAS:
        if optim.get(key) not in (None, 0, 0.0):
            parts.append(f"{label} {short(optim[key])}")
    if optim.get("nesterov"):
        parts.append("nesterov")
    if optim.get("weight_decay"):
        parts.append(f"wd {short(optim['weight_decay'])}")
    return " ".join(parts)


def schedule_kind(preset: dict[str, Any]) -> str:
    return str(_section(preset, "schedule").get("kind", ""))


def schedule(preset: dict[str, Any]) -> str:
    sched = _section(preset, "schedule")
    kind = sched.get("kind")
    if not kind:
        return ""
    details = _SCHEDULE_DETAILS.get(str(kind), ())
    extras = [f"{label}{short(sched[key])}" for key, label in details if sched.get(key) is not None]
    return " ".join([str(kind), *extras])


def normalization(preset: dict[str, Any], world_size: int = 1) -> str:
    """Both kinds a course teaches: normalization layers in the model, and of the input.
    With several devices, which batch the batch norm statistics come from."""
    model_section = _section(preset, "model")
    layers = model_section.get("norm")
    normalize = _section(preset, "data").get("normalize")
    inputs = normalize.get("kind") if isinstance(normalize, dict) else None
    parts = []
    if layers == "batch" and world_size > 1:
        synced = model_section.get("sync_bn")
        parts.append("batch norm, synced" if synced else "batch norm per device")
    elif layers:
        parts.append(f"{layers} norm" if layers != "none" else "no norm layers")
    if inputs:
        parts.append(f"input {inputs}")
    return " · ".join(parts)


def augment(preset: dict[str, Any]) -> str:
    if "augment" not in preset:
        return ""
    used = [name for name, value in _section(preset, "augment").items() if value]
    return ", ".join(used) if used else "none"


def model(preset: dict[str, Any]) -> str:
    section = _section(preset, "model")
    if not section:
        return ""
    kind = str(section.get("kind", "?"))
    if kind in ("torchvision", "timm"):
        return f"{kind} {section.get('name', '?')}"
    if kind == "python":
        module, _, attribute = str(section.get("target", "?")).rpartition(":")
        return f"python {module.rsplit('/', 1)[-1]}:{attribute}"
    if kind == "fit":
        return f"{section.get('name') or 'network'} (tuitrain.fit)"
    parts = [kind]
    widths = section.get("widths")
    if isinstance(widths, list):
        parts.append("-".join(str(w) for w in widths))
    for key in ("activation", "pool"):
        if section.get(key):
            parts.append(str(section[key]))
    if section.get("dropout"):
        parts.append(f"dropout {short(section['dropout'])}")
    return " ".join(parts)


def data(preset: dict[str, Any], world_size: int = 1) -> str:
    section = _section(preset, "data")
    if not section:
        return ""
    batch = section.get("batch_size", "?")
    if world_size > 1 and isinstance(batch, int):
        share = f" = {world_size} x {batch // world_size}"
        return f"{section.get('kind', '?')} · batch {batch}{share}"
    return f"{section.get('kind', '?')} · batch {batch}"


def summary(
    preset: dict[str, Any],
    world_size: int = 1,
    *,
    lr: float | None = None,
    scale: float = 1.0,
) -> list[tuple[str, str]]:
    """(label, text) rows for the Run panel, the course's concepts first. `world_size`: the
    devices training the run together (the global batch is shared among them); `lr` and
    `scale`: the rate now and the user's scale on the schedule (see optimizer)."""
    rows = [
        ("", optimizer(preset, lr=lr, scale=scale)),
        ("sched", schedule(preset)),
        ("", normalization(preset, world_size)),
        ("aug", augment(preset)),
        ("model", model(preset)),
        ("data", data(preset, world_size)),
    ]
    return [(label, text) for label, text in rows if text]
