"""The few styles the panels share. Only the 16 ANSI colour names are used, so the monitor reads
the same in a 16-colour terminal; and every state is also a word, so it reads under NO_COLOR."""

from __future__ import annotations

# Reverse video: without colour (NO_COLOR) the status word is still set off from the line.
STATUS_STYLE = {
    "starting": "bold reverse",
    "running": "bold reverse green",
    "paused": "bold reverse yellow",
    "finished": "bold reverse blue",
    "failed": "bold reverse red",
}

LEVEL_STYLE = {
    "info": "",
    "ok": "green",
    "request": "cyan",
    "warning": "yellow",
    "error": "bold red",
}

LEVEL_MARK = {"info": " ", "ok": "✓", "request": "…", "warning": "!", "error": "✗"}

FIT_STYLE = {
    "ok": "green",
    "overfitting": "bold yellow",
    "underfitting": "bold magenta",
    "diverging": "bold reverse red",  # reverse: it must not read like the others under NO_COLOR
}

LABEL = "dim"
VALUE = "bold"
