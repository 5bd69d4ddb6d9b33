from tuitrain.engine.bus import EventBus
from tuitrain.engine.events import Event, Log, Warned


def test_events_reach_every_consumer_in_order() -> None:
    bus = EventBus()
    first: list[Event] = []
    second: list[Event] = []
    bus.subscribe(first.append)
    bus.subscribe(second.append)
    events = [Log(message=str(i)) for i in range(3)]
    for event in events:
        bus.emit(event)
    assert first == events and second == events


def test_a_broken_consumer_is_dropped_and_the_others_are_told(capsys) -> None:
    bus = EventBus()
    seen: list[Event] = []
    calls = []

    def broken(event: Event) -> None:
        calls.append(event)
        raise OSError(28, "No space left on device")

    bus.subscribe(broken)
    bus.subscribe(seen.append)
    bus.emit(Log(message="a"))
    bus.emit(Log(message="b"))
    assert len(calls) == 1
    warnings = [e for e in seen if isinstance(e, Warned)]
    assert len(warnings) == 1 and "No space left" in warnings[0].message
    assert [e.message for e in seen if isinstance(e, Log)] == ["a", "b"]
    assert "No space left" in capsys.readouterr().err
