"""The key footer: Textual's footer in the order of the key table, every key shown at any width.

Textual's own footer lists keys the user remapped last (after the bindings it was built
with) and cuts off whatever does not fit, `q quit` first. This one keeps the table's order,
and where the labels do not all fit it drops labels, never keys: those of the steering keys
from the end of the table first, those of essential keys (help, quit, detach) last.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.events import Resize
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from tuitrain.ui.keys import KeyAction


class KeyFooter(Footer):
    def __init__(
        self,
        actions: Sequence[KeyAction],
        *,
        hide: Iterable[str] = (),
        id: str | None = None,
    ) -> None:
        super().__init__(id=id, compact=True, show_command_palette=False)
        self.actions = tuple(actions)
        self.hide = frozenset(hide)
        """Actions left out of the footer (their keys still work)."""
        self.labelled: frozenset[str] = frozenset()
        """The actions shown with their labels at the width last composed for."""
        self.relabelled: dict[str, str] = {}
        """Labels that say what a key does now (`resume` for pause while paused)."""

    def relabel(self, action: str, label: str | None) -> None:
        """Say `label` for `action` (None: its own label again), redrawing if that changes."""
        wanted = dict(self.relabelled)
        if label is None:
            wanted.pop(action, None)
        else:
            wanted[action] = label
        if wanted != self.relabelled:
            self.relabelled = wanted
            if self._bindings_ready:  # on the footer's own queue: recompose binds to it
                self.call_later(self.recompose)

    def _label(self, binding: Binding) -> str:
        return self.relabelled.get(binding.action, binding.description)

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        shown = self._shown()
        self.labelled = self._fit(shown, self._width())
        for binding, enabled, tooltip in shown:
            yield FooterKey(
                binding.key,
                self.app.get_key_display(binding),
                self._label(binding) if binding.action in self.labelled else "",
                binding.action,
                disabled=not enabled,
                tooltip=tooltip or binding.description,
            ).data_bind(compact=Footer.compact)

    def on_resize(self, event: Resize) -> None:
        if self._bindings_ready and self._fit(self._shown(), event.size.width) != self.labelled:
            self.call_after_refresh(self.recompose)

    def _width(self) -> int:
        return self.size.width or self.app.size.width

    def _shown(self) -> list[tuple[Binding, bool, str]]:
        """One binding per action (the first of its keys), in the order of the key table;
        bindings not in the table (a focused widget's) follow in Textual's order."""
        first: dict[str, tuple[Binding, bool, str]] = {}
        for _node, binding, enabled, tooltip in self.screen.active_bindings.values():
            if binding.show and binding.action not in self.hide:
                first.setdefault(binding.action, (binding, enabled, tooltip))
        order = {action.name: i for i, action in enumerate(self.actions)}
        return sorted(first.values(), key=lambda shown: order.get(shown[0].action, len(order)))

    def _fit(self, shown: Iterable[tuple[Binding, bool, str]], width: int) -> frozenset[str]:
        """The actions that keep their labels in `width` columns: as many as fit, dropped
        from the end of the table, essential ones last."""
        shown = list(shown)
        # A compact key is its key, a space and its label when it has one, and a margin
        # (which the last may lose).
        used = sum(len(self.app.get_key_display(b)) + 1 for b, _, _ in shown) - 1
        labels = {b.action: len(self._label(b)) + 1 for b, _, _ in shown if self._label(b)}
        essential = {a.name for a in self.actions if a.essential}
        ordinary = [action for action in labels if action not in essential]
        drop_order = [*reversed(ordinary), *(action for action in labels if action in essential)]
        labelled = set(labels)
        total = used + sum(labels.values())
        for action in drop_order:
            if total <= width:
                break
            labelled.discard(action)
            total -= labels[action]
        return frozenset(labelled)
