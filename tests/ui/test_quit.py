"""Quitting, Ctrl-C, a failed run, and the exit status the cli gets back."""

from __future__ import annotations

from tests.ui.fakes import ScriptedLink, history_events
from tests.ui.screen import screen_text, shows, until
from tuitrain.config.train import MonitorSettings
from tuitrain.engine import commands as cmd
from tuitrain.engine import events as ev
from tuitrain.ui.app import MonitorApp

FINISHED = ev.Finished(
    status="completed",
    step=500,
    epoch=10,
    elapsed_s=50.0,
    best_metric="val_acc",
    best_value=0.8,
)


def make_app(link: ScriptedLink, stop_timeout: float = 5.0, **control: object) -> MonitorApp:
    return MonitorApp(
        link, MonitorSettings(refresh_hz=10, **control), "test", stop_timeout=stop_timeout
    )


async def test_q_asks_then_stops_the_run_and_exits_when_it_has_finished() -> None:
    link = ScriptedLink(history_events())
    app = make_app(link)
    async with app.run_test(size=(80, 24)) as pilot:
        await shows(pilot, "RUNNING")
        await pilot.press("q")
        await shows(pilot, "Stop training and quit?")
        assert link.submitted == []
        await pilot.press("y")
        await until(pilot, lambda: app.return_code is not None)
    assert [type(c) for c in link.submitted] == [cmd.Stop]
    assert link.submitted[0].source == "key"
    assert app.return_code == 0
    assert isinstance(app.outcome, ev.Finished) and app.outcome.status == "stopped"
    assert link.closed


async def test_q_then_n_keeps_training() -> None:
    link = ScriptedLink(history_events())
    app = make_app(link)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("q")
        await shows(pilot, "Stop training and quit?")
        await pilot.press("n")
        await shows(pilot, "quit cancelled")
        assert link.submitted == []
        assert app.return_code is None


async def test_ctrl_c_quits_like_q_but_as_an_interruption() -> None:
    link = ScriptedLink(history_events())
    app = make_app(link)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+c")
        await shows(pilot, "Stop training and quit?")
        await pilot.press("ctrl+c")
        await until(pilot, lambda: app.return_code is not None)
    [stop] = link.submitted
    assert isinstance(stop, cmd.Stop) and stop.status == "interrupted"
    assert app.return_code == 130  # as Ctrl-C ends any command; q ends with 0


async def test_ctrl_c_cancelled_then_q_is_a_plain_quit() -> None:
    link = ScriptedLink(history_events())
    app = make_app(link)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+c")
        await shows(pilot, "Stop training and quit?")
        await pilot.press("n")
        await shows(pilot, "quit cancelled")
        await pilot.press("q")
        await pilot.press("y")
        await until(pilot, lambda: app.return_code is not None)
    [stop] = link.submitted
    assert isinstance(stop, cmd.Stop) and stop.status == "stopped"
    assert app.return_code == 0


async def test_without_confirm_quit_q_stops_at_once() -> None:
    link = ScriptedLink(history_events())
    app = make_app(link, confirm_quit=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("q")
        await until(pilot, lambda: app.return_code is not None)
    assert [type(c) for c in link.submitted] == [cmd.Stop]


async def test_a_run_that_never_confirms_the_stop_does_not_hang_the_monitor() -> None:
    link = ScriptedLink(history_events(), echo=False)
    app = make_app(link, stop_timeout=0.3, confirm_quit=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("q")
        assert "stopping" in screen_text(app)
        await until(pilot, lambda: app.return_code is not None, timeout=2.0)
    assert [type(c) for c in link.submitted] == [cmd.Stop]
    assert link.closed


async def test_q_twice_while_stopping_leaves_at_once() -> None:
    link = ScriptedLink(history_events(), echo=False)
    app = make_app(link, stop_timeout=30.0, confirm_quit=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("q")
        await pilot.press("q")
        await until(pilot, lambda: app.return_code is not None, timeout=1.0)


async def test_a_finished_run_quits_at_once_without_a_stop() -> None:
    link = ScriptedLink([*history_events(), FINISHED])
    app = make_app(link)
    async with app.run_test(size=(80, 24)) as pilot:
        await shows(pilot, "FINISHED", "finished: completed")
        await pilot.press("q")
        await until(pilot, lambda: app.return_code is not None)
    assert link.submitted == []
    assert app.return_code == 0


async def test_a_monitor_that_does_not_own_the_run_quits_at_once() -> None:
    link = ScriptedLink(history_events(), owns_run=False)
    app = make_app(link)
    async with app.run_test(size=(80, 24)) as pilot:
        await shows(pilot, "RUNNING")
        await pilot.press("q")
        await until(pilot, lambda: app.return_code is not None)
    assert link.submitted == []
    assert app.return_code == 0


async def test_a_failed_run_shows_its_error_and_exits_with_failure() -> None:
    link = ScriptedLink(history_events())
    app = make_app(link)
    async with app.run_test(size=(80, 24)) as pilot:
        await shows(pilot, "RUNNING")
        link.send(
            ev.Failed(
                error="OutOfMemoryError", message="CUDA out of memory (tried 2.0 GiB)", step=170
            )
        )
        text = await shows(pilot, "OutOfMemoryError at step 170: CUDA out of memory")
        assert text.splitlines()[0].startswith(" FAILED ")
        assert app.exit_code == 1
        await pilot.press("q")  # a failed run is over: no confirmation
        await until(pilot, lambda: app.return_code is not None)
    assert app.return_code == 1
    assert link.submitted == []


async def test_a_failure_on_bad_input_exits_2() -> None:
    link = ScriptedLink(
        [*history_events(), ev.Failed(error="input", message="dataset folder missing")]
    )
    app = make_app(link)
    async with app.run_test(size=(80, 24)) as pilot:
        await shows(pilot, "dataset folder missing")
        await pilot.press("q")
        await until(pilot, lambda: app.return_code is not None)
    assert app.return_code == 2


async def test_a_link_that_cannot_start_is_reported_not_fatal() -> None:
    class Broken(ScriptedLink):
        def start(self, emit: object) -> None:
            raise ConnectionRefusedError("control socket refused the connection")

    app = make_app(Broken(owns_run=False, label="attached to demo"))
    async with app.run_test(size=(80, 24)) as pilot:
        await shows(pilot, "cannot follow attached to demo: control socket refused")
        await pilot.press("q")
        await until(pilot, lambda: app.return_code is not None)


async def test_q_q_stops_an_attached_run_as_it_does_the_local_one_and_d_detaches() -> None:
    from tuitrain.ui.attach import AttachApp

    for keys, stopped in (
        (["q", "q"], True),
        (["q", "y"], True),
        (["q", "d"], False),
        (["d"], False),
    ):
        link = ScriptedLink(history_events(), owns_run=False)
        app = AttachApp(link, MonitorSettings(refresh_hz=10), "test", stop_timeout=5.0)
        async with app.run_test(size=(80, 24)) as pilot:
            await shows(pilot, "RUNNING")
            await pilot.press(keys[0])
            if len(keys) > 1:
                await shows(pilot, "Stop training and quit?", "d: detach")
                await pilot.press(keys[1])
            await until(pilot, lambda app=app: app.return_code is not None)
        stops = [c for c in link.submitted if isinstance(c, cmd.Stop)]
        assert bool(stops) == stopped, keys
        if stopped:
            # Said as a stop from attach, not as the local monitor's quit.
            assert stops[0].reason == "quit from tuitrain attach"
        assert app.return_code == 0 and link.closed
