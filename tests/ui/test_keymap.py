"""Remapping keys in keys.toml: good settings apply, bad ones are reported and ignored."""

from __future__ import annotations

from pathlib import Path

from tests.ui.fakes import ScriptedLink, history_events
from tests.ui.screen import shows, until
from tuitrain.config.train import MonitorSettings
from tuitrain.engine import commands as cmd
from tuitrain.ui.app import MonitorApp
from tuitrain.ui.keys import (
    MONITOR_KEYS,
    KeyAction,
    bindings,
    check_keymap,
    config_path,
    read_keymap,
)


def test_the_settings_file_lives_under_xdg_config_home() -> None:
    assert config_path({"XDG_CONFIG_HOME": "/cfg"}) == Path("/cfg/tuitrain/keys.toml")
    assert config_path({"HOME": "/home/me"}) == Path("/home/me/.config/tuitrain/keys.toml")


def test_valid_remappings_are_normalized() -> None:
    keymap, problems = check_keymap(MONITOR_KEYS, {"pause": "space", "help": "?,h"})
    assert keymap == {"pause": "space", "help": "question_mark,h"}
    assert problems == []


def test_bad_entries_are_reported_and_left_out() -> None:
    keymap, problems = check_keymap(
        MONITOR_KEYS,
        {"pause": "notakey", "explode": "x", "quit": 3, "checkpoint": "ctrl+c", "validate": "V"},
    )
    assert keymap == {"validate": "V"}
    assert len(problems) == 4
    assert any("unknown action 'explode'" in p for p in problems)
    assert any("pause = 'notakey'" in p for p in problems)


def test_a_key_given_to_two_actions_keeps_the_default() -> None:
    keymap, problems = check_keymap(MONITOR_KEYS, {"checkpoint": "p"})
    assert keymap == {}
    assert "'p' is bound to both pause and checkpoint" in problems[0]


def test_a_missing_file_is_fine_and_a_broken_one_is_reported(tmp_path: Path) -> None:
    assert read_keymap(MONITOR_KEYS, tmp_path / "none.toml") == ({}, [])
    broken = tmp_path / "keys.toml"
    broken.write_text("pause = \n")
    keymap, problems = read_keymap(MONITOR_KEYS, broken)
    assert keymap == {} and "cannot read it" in problems[0]


async def test_a_mode_adds_a_key_through_the_table() -> None:
    detach = KeyAction("detach", "d", "detach", "leave the run going")

    class AttachMonitor(MonitorApp):
        KEYS = (*MONITOR_KEYS, detach)
        BINDINGS = bindings([detach])

        def action_detach(self) -> None:
            self.detached = True
            self.exit(0)

    app = AttachMonitor(ScriptedLink(history_events()), MonitorSettings(refresh_hz=10), "attach")
    async with app.run_test(size=(100, 24)) as pilot:
        await shows(pilot, "d detach", "p pause")
        await pilot.press("question_mark")
        await shows(pilot, "leave the run going")
        await pilot.press("escape", "d")
        await until(pilot, lambda: app.return_code is not None)
    assert app.detached


async def test_a_remapped_key_steers_and_the_footer_shows_it(tmp_path: Path) -> None:
    settings = tmp_path / "keys.toml"
    settings.write_text('pause = "space"\nlower_lr = "minus"\n')
    link = ScriptedLink(history_events())
    app = MonitorApp(link, MonitorSettings(refresh_hz=10), "test", keys_path=settings)
    async with app.run_test(size=(100, 24)) as pilot:
        await shows(pilot, "RUNNING", "space pause")
        await pilot.press("space", "minus", "p")
        await until(pilot, lambda: len(link.submitted) == 2)
    assert [type(c) for c in link.submitted] == [cmd.Pause, cmd.ScaleLR]


async def test_bad_settings_are_shown_and_the_defaults_work(tmp_path: Path) -> None:
    settings = tmp_path / "keys.toml"
    settings.write_text('pause = "no such key"\n')
    link = ScriptedLink(history_events())
    app = MonitorApp(link, MonitorSettings(refresh_hz=10), "test", keys_path=settings)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await shows(pilot, "a key setting was ignored", "'no such key' is not a key")
        await pilot.press("p")
    assert [type(c) for c in link.submitted] == [cmd.Pause]


def test_the_readme_names_every_action_keys_toml_accepts() -> None:
    from pathlib import Path

    from tuitrain.ui.attach import AttachApp

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    table = readme.split("| key | `keys.toml` name | action |", 1)[1].split("\n\n", 1)[0]
    for action in AttachApp.KEYS:
        assert f"`{action.name}`" in table, action.name
