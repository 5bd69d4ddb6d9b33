"""The monitor's hotkeys: one table, the bindings built from it, and the user's remapping.

Each row names an action (also its binding id and its name in keys.toml), its default key,
its footer label and whether it steers the run (refused on a read-only link). The footer
shows the keys in the table's order; where the labels do not all fit, the essential rows
keep theirs longest. A new mode
(attach's detach key, say) adds rows to the table and a matching `action_<name>` method.

Remapping lives in `$XDG_CONFIG_HOME/tuitrain/keys.toml` (`~/.config/...` by default):

    pause = "space"
    lower_lr = "minus"
    raise_lr = "plus,="

A bad file never stops the monitor: the problems are reported and the defaults kept.
"""

from __future__ import annotations

import os
import sys
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from textual.binding import Binding
from textual.keys import Keys, _character_to_key, format_key

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

MODIFIERS = frozenset({"ctrl", "alt", "shift", "meta", "super", "hyper"})
RESERVED = frozenset({"ctrl+c"})
"""Keys that always mean quit and cannot be given to another action."""


@dataclass(frozen=True)
class KeyAction:
    name: str
    key: str
    label: str
    help: str
    steers: bool = False
    show: bool = True
    essential: bool = False
    """Its footer label is the last to give way on a narrow terminal (help, quit, detach)."""

    def binding(self, key: str | None = None) -> Binding:
        return Binding(key or self.key, self.name, self.label, show=self.show, id=self.name)


MONITOR_KEYS: tuple[KeyAction, ...] = (
    KeyAction("pause", "p", "pause", "pause or resume training", steers=True),
    KeyAction("lower_lr", "l", "LR↓", "lower the learning rate (× monitor.lr_factor)", True),
    KeyAction("raise_lr", "L", "LR↑", "raise the learning rate (÷ monitor.lr_factor)", True),
    KeyAction("checkpoint", "s", "save", "save a checkpoint now", steers=True),
    KeyAction("validate", "v", "validate", "run validation now", steers=True),
    # Views of the run, not steering: in the help (?), left out of the footer to keep it short.
    KeyAction(
        "samples", "i", "images", "validation mistakes and the last batch, as images", show=False
    ),
    KeyAction(
        "log_older", "pageup", "log↑", "scroll the event log back (or the mouse wheel)", show=False
    ),
    KeyAction(
        "log_newer", "pagedown", "log↓", "scroll the event log towards the newest", show=False
    ),
    KeyAction("layers", "y", "layers", "layer health: outputs, dead units, gradients", show=False),
    KeyAction("classes", "c", "classes", "per-class accuracy and the confusion matrix", show=False),
    KeyAction("help", "question_mark", "help", "show this help", essential=True),
    KeyAction(
        "quit", "q", "quit", "quit: asks, then stops the run (a viewer just closes)", essential=True
    ),
)


def bindings(actions: Iterable[KeyAction]) -> list[Binding]:
    return [action.binding() for action in actions]


def config_path(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME", "~")) / ".config")
    return Path(base).expanduser() / "tuitrain" / "keys.toml"


def valid_key(key: str) -> bool:
    """Whether Textual can deliver `key` (`p`, `L`, `space`, `ctrl+x`, `question_mark`...)."""
    *mods, base = key.split("+")
    if any(mod not in MODIFIERS for mod in mods) or not base:
        return False
    if len(base) == 1:
        return base.isprintable() and not base.isspace()
    if base in _KEY_NAMES:
        return True
    try:
        unicodedata.lookup(base.replace("_", " "))
    except KeyError:
        return False
    return True


_KEY_NAMES = frozenset(k.value.rpartition("+")[2] for k in Keys) | {"space", "minus", "plus"}


def normalize(key: str) -> str:
    """Textual's name for a single character (`?` is `question_mark`)."""
    return _character_to_key(key) if len(key) == 1 else key


def display_keys(keys: str) -> str:
    """`question_mark,h` as `? h`, for the help screen."""
    return " ".join(format_key(key) for key in keys.split(","))


def read_keymap(
    actions: Iterable[KeyAction], path: Path | None = None
) -> tuple[dict[str, str], list[str]]:
    """The remapping in `path` (the user's keys.toml by default) as {action: keys}, and the
    problems found. A missing file is no problem; any bad entry is left out."""
    path = config_path() if path is None else path
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}, []
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return {}, [f"{path}: cannot read it ({exc}); using the default keys"]
    return check_keymap(actions, data, str(path))


def check_keymap(
    actions: Iterable[KeyAction], data: Mapping[str, object], where: str = "keys"
) -> tuple[dict[str, str], list[str]]:
    table = {a.name: a for a in actions}
    problems: list[str] = []
    wanted: dict[str, str] = {}
    for name, value in data.items():
        if name not in table:
            problems.append(f"{where}: unknown action {name!r}; known: {', '.join(table)}")
            continue
        keys = _parse_keys(value)
        bad = [k for k in keys if not valid_key(k) or normalize(k) in RESERVED]
        if not keys or bad:
            problems.append(f"{where}: {name} = {value!r} is not a key tuitrain can bind")
            continue
        wanted[name] = ",".join(normalize(k) for k in keys)
    return _without_clashes(table, wanted, problems, where), problems


def _parse_keys(value: object) -> list[str]:
    if not isinstance(value, str):
        return []
    return [part.strip() for part in value.split(",") if part.strip()]


def _without_clashes(
    table: Mapping[str, KeyAction],
    wanted: dict[str, str],
    problems: list[str],
    where: str,
) -> dict[str, str]:
    """Drop remappings that would give one key to two actions."""
    owner: dict[str, str] = {}
    for name in table:
        for key in wanted.get(name, normalize(table[name].key)).split(","):
            if key in owner:
                problems.append(
                    f"{where}: {key!r} is bound to both {owner[key]} and {name}; "
                    f"keeping the default for {name if name in wanted else owner[key]}"
                )
                wanted.pop(name if name in wanted else owner[key], None)
                return _without_clashes(table, wanted, problems, where)
            owner[key] = name
    return wanted
