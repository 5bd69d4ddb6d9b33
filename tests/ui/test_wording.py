"""What the monitor says: the key that resumes, the rate now, one way to write a factor."""

from __future__ import annotations

from pathlib import Path

from tests.ui.fakes import ScriptedLink, history_events
from tests.ui.screen import screen_text, settle, shows, until
from tuitrain.config.train import MonitorSettings
from tuitrain.engine import events as ev
from tuitrain.ui.app import MonitorApp
from tuitrain.ui.keys import MONITOR_KEYS, read_keymap
from tuitrain.ui.widgets.learning_rate import LrPanel

LOWERED = ev.LRChanged(step=160, lr=0.05, previous=0.1, scale=0.5, source="ctl", reason="x0.5")


def footer_line(app: MonitorApp) -> str:
    return screen_text(app).splitlines()[-1]


async def test_the_footer_says_resume_while_paused() -> None:
    app = MonitorApp(ScriptedLink(history_events()), MonitorSettings(refresh_hz=10), "test")
    async with app.run_test(size=(100, 30)) as pilot:
        await shows(pilot, "RUNNING", "p pause")
        await pilot.press("p")
        await shows(pilot, "PAUSED")
        await until(pilot, lambda: "p resume" in footer_line(app))
        await pilot.press("p")
        await until(pilot, lambda: "p pause" in footer_line(app))


async def test_the_run_panel_shows_the_rate_now_and_the_users_scale() -> None:
    app = MonitorApp(
        ScriptedLink([*history_events(), LOWERED]), MonitorSettings(refresh_hz=10), "test"
    )
    async with app.run_test(size=(120, 30)) as pilot:
        text = await shows(pilot, "RUNNING", "sgd lr 0.05 you ×0.5 mom 0.9")
        assert "sgd lr 0.1 " not in text  # the preset's rate is no longer the rate
        # One way to write a factor on the screen: ×, not x.
        assert "(ctl, ×0.5)" in text and "x0.5" not in text, text


async def test_the_big_learning_rate_draws_its_exponent_large() -> None:
    small = ev.LRChanged(step=160, lr=1.22e-5, previous=0.1, scale=1.22e-4, source="ctl", reason="")
    app = MonitorApp(
        ScriptedLink([*history_events(), small]), MonitorSettings(refresh_hz=10), "test"
    )
    async with app.run_test(size=(120, 30)) as pilot:
        await shows(pilot, "RUNNING")
        await settle(pilot)
        digits = app.query_one(LrPanel).query_one("#lr-digits")
        await until(pilot, lambda: digits.value == "1.22E-5")  # type: ignore[attr-defined]


def test_a_bad_key_setting_names_tuitrain_as_its_users_write_it(tmp_path: Path) -> None:
    settings = tmp_path / "keys.toml"
    settings.write_text('pause = "notakey+x"\n')
    _, problems = read_keymap(MONITOR_KEYS, settings)
    (problem,) = problems
    assert "is not a key tuitrain can bind" in problem, problem


async def test_the_header_says_diverging_as_soon_as_the_step_reports_do() -> None:
    link = ScriptedLink(history_events())
    app = MonitorApp(link, MonitorSettings(refresh_hz=10), "test")
    async with app.run_test(size=(100, 30)) as pilot:
        await shows(pilot, "RUNNING", "fit OK")
        link.send(
            ev.Warned(
                category="diverging",
                message="training loss 1.8e17 at step 170 is 1e17x its lowest",
                step=170,
            )
        )
        header = (await shows(pilot, "DIVERGING")).splitlines()[0]
        assert "fit OK" not in header
        await pilot.press("question_mark")
        await shows(pilot, "DIVERGING, at")  # explained in the help too
