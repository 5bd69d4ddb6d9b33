"""Hotkeys against a scripted run: what is sent, and what the screen says about it."""

from __future__ import annotations

from textual.widgets import Digits

from tests.ui.fakes import ScriptedLink, history_events, step
from tests.ui.screen import screen_text, settle, shows, until
from tuitrain.config.train import MonitorSettings
from tuitrain.engine import commands as cmd
from tuitrain.engine import events as ev
from tuitrain.ui.app import MonitorApp


def make_app(link: ScriptedLink, **control: object) -> MonitorApp:
    return MonitorApp(link, MonitorSettings(refresh_hz=10, **control), "test")


def step_shown(app: MonitorApp) -> str:
    line = next(row for row in screen_text(app).splitlines() if "step " in row and "batch" in row)
    return line.split("step ")[1].split()[0]


async def test_pause_is_acknowledged_then_confirmed_and_the_step_counter_freezes() -> None:
    link = ScriptedLink(history_events(), echo=False)
    app = make_app(link)
    async with app.run_test(size=(80, 24)) as pilot:
        await shows(pilot, "RUNNING")
        link.tick()
        await until(pilot, lambda: step_shown(app) == str(link.step))
        await pilot.press("p")
        assert [type(c) for c in link.submitted] == [cmd.Pause]
        assert link.submitted[0].source == "key"
        # Acknowledged before the engine answers.
        assert "pause requested" in screen_text(app)
        link.send(link.answer(link.submitted[0]))
        await shows(pilot, "PAUSED", f"paused at step {link.step}")
        frozen = step_shown(app)
        for _ in range(3):
            link.tick()  # the engine takes no steps while paused
        await settle(pilot)
        assert step_shown(app) == frozen
        assert "PAUSED" in screen_text(app)
        await pilot.press("p")
        assert isinstance(link.submitted[-1], cmd.Resume)
        link.send(link.answer(link.submitted[-1]))
        await shows(pilot, "RUNNING", "resumed at step")
        link.tick()
        await until(pilot, lambda: step_shown(app) == str(link.step))
        assert step_shown(app) != frozen


async def test_lowering_the_lr_twice_sends_two_scalings_and_shows_a_quarter() -> None:
    link = ScriptedLink(history_events())
    app = make_app(link, lr_factor=0.5)
    async with app.run_test(size=(80, 24)) as pilot:
        await shows(pilot, "RUNNING")
        await pilot.press("l", "l")
        sent = [c for c in link.submitted if isinstance(c, cmd.ScaleLR)]
        assert [(c.factor, c.source) for c in sent] == [(0.5, "key"), (0.5, "key")]
        await shows(pilot, "LR 0.05 → 0.025", "by you (key)", "×0.25")
        digits = app.query_one("#lr-digits", Digits)
        await until(pilot, lambda: digits.value == "0.025")  # the large value, next refresh


async def test_raising_the_lr_divides_by_the_factor() -> None:
    link = ScriptedLink(history_events())
    app = make_app(link, lr_factor=0.25)
    async with app.run_test(size=(80, 24)) as pilot:
        await shows(pilot, "RUNNING")
        await pilot.press("L")
        assert link.submitted[-1] == cmd.ScaleLR(4.0, source="key", id=link.submitted[-1].id)
        await shows(pilot, "LR 0.1 → 0.4")


async def test_checkpoint_and_validate_keys_are_sent_and_confirmed() -> None:
    link = ScriptedLink(history_events(), echo=False)
    app = make_app(link)
    async with app.run_test(size=(80, 24)) as pilot:
        await shows(pilot, "RUNNING")
        await pilot.press("s")
        assert "checkpoint requested" in screen_text(app)
        link.send(link.answer(link.submitted[-1]))
        await shows(pilot, "checkpoint (user) saved")
        await pilot.press("v")
        assert "validate requested" in screen_text(app)
        link.send(link.answer(link.submitted[-1]))
        await shows(pilot, "validated at epoch", "(key)")
        assert [type(c) for c in link.submitted] == [cmd.Checkpoint, cmd.Validate]
        assert {c.source for c in link.submitted} == {"key"}
        assert not app.history.pending


async def test_a_rejected_command_shows_its_reason() -> None:
    link = ScriptedLink(history_events())
    link.answer = lambda c: ev.CommandRejected(
        command=c.name,
        reason="this run has no run directory to save to",
        source=c.source,
        cmd_id=c.id,
    )
    app = make_app(link)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("s")
        await shows(pilot, "checkpoint rejected: this run has no run directory")


async def test_a_read_only_link_refuses_the_steering_keys() -> None:
    link = ScriptedLink(history_events(), can_control=False, owns_run=False, label="view runs/x")
    app = make_app(link)
    async with app.run_test(size=(80, 24)) as pilot:
        text = await shows(pilot, "RUNNING", "q quit")
        assert text.startswith(" RUNNING  read-only")
        footer = text.splitlines()[-1]
        assert "q quit" in footer and "pause" not in footer and "LR" not in footer, footer
        for key in ("p", "l", "L", "s", "v"):
            await pilot.press(key)
            await shows(pilot, "read-only")
        assert link.submitted == []


async def test_help_lists_the_keys_and_closes() -> None:
    app = make_app(ScriptedLink(history_events()))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        text = await shows(pilot, "tuitrain keys", "pause or resume training")
        assert "lower the learning rate" in text
        await pilot.press("escape")
        await until(pilot, lambda: "tuitrain keys" not in screen_text(app))


async def test_keys_are_shown_in_the_footer() -> None:
    app = make_app(ScriptedLink(history_events()))
    async with app.run_test(size=(80, 24)) as pilot:
        text = await shows(pilot, "RUNNING", "q quit")
        footer = text.splitlines()[-1]
        for word in ("p pause", "l LR↓", "L LR↑", "s save", "v validate", "? help", "q quit"):
            assert word in footer


async def test_steps_keep_arriving_after_a_burst() -> None:
    """A burst far beyond the inbox's bound: epochs and LR changes still all arrive."""
    link = ScriptedLink(history_events(epochs_done=0, extra_steps=0))
    app = make_app(link)
    async with app.run_test(size=(80, 24)) as pilot:
        await shows(pilot, "RUNNING")
        burst: list[ev.Event] = [step(n, lr=0.1 if n <= 10_000 else 0.05) for n in range(1, 20_001)]
        burst.insert(
            10_000,
            ev.LRChanged(
                step=10_000, lr=0.05, previous=0.1, scale=1.0, source="schedule", reason="plateau"
            ),
        )
        link.send(*burst)
        await shows(pilot, "LR 0.1 → 0.05", "step 20000")
        assert app.history.lr.value == 0.05
