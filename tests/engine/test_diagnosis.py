from tuitrain.config.train import Diagnose
from tuitrain.engine.diagnosis import CurveDoctor, EpochMetrics
from tuitrain.engine.tracking import Best


def feed(doctor: CurveDoctor, rows: list[tuple[float, float, float | None]]) -> list[str | None]:
    return [
        doctor.update(EpochMetrics(train_loss=t, train_acc=a, val_loss=v, val_acc=a - 0.1))
        for t, a, v in rows
    ]


def test_rising_validation_loss_with_falling_training_loss_is_overfitting() -> None:
    doctor = CurveDoctor(Diagnose(overfit_patience=2), num_classes=10)
    messages = feed(doctor, [(1.0, 0.6, 1.0), (0.8, 0.7, 0.9), (0.6, 0.8, 1.0), (0.4, 0.9, 1.1)])
    assert messages[:3] == [None, None, None]
    assert messages[3] is not None and messages[3].startswith(
        "validation loss 1.1 is above its best 0.9 of 2 validations ago"
    )
    assert doctor.verdict == "overfitting"


def test_a_noisy_validation_curve_keeps_the_verdict_until_a_new_best() -> None:
    doctor = CurveDoctor(Diagnose(overfit_patience=3), num_classes=10)
    rows = [(1.0, 0.5, 1.0), (0.8, 0.6, 0.8), (0.7, 0.7, 0.9), (0.6, 0.8, 0.85)]
    rows += [(0.5, 0.85, 1.0), (0.4, 0.9, 0.95), (0.3, 0.95, 1.1), (0.2, 0.97, 0.7)]
    messages, verdicts = [], []
    for t, a, v in rows:
        metrics = EpochMetrics(train_loss=t, train_acc=a, val_loss=v, val_acc=a - 0.1)
        messages.append(doctor.update(metrics))
        verdicts.append(doctor.verdict)
    # Never three rises in a row, yet the best (0.8) is 3 validations old at epoch 5; the
    # dip at epoch 6 does not end the verdict, the new best at epoch 8 does.
    assert [m is not None for m in messages] == [False] * 4 + [True] + [False] * 3
    assert verdicts == ["ok"] * 4 + ["overfitting"] * 3 + ["ok"]


def test_validation_loss_flat_at_its_best_is_not_overfitting() -> None:
    doctor = CurveDoctor(Diagnose(overfit_patience=2), num_classes=10)
    feed(doctor, [(1.0, 0.5, 0.8), (0.8, 0.6, 0.81), (0.6, 0.7, 0.805), (0.4, 0.8, 0.81)])
    assert doctor.verdict == "ok"


def test_a_warning_is_given_once_per_onset() -> None:
    doctor = CurveDoctor(Diagnose(overfit_patience=1), num_classes=10)
    messages = feed(doctor, [(1.0, 0.6, 1.0), (0.8, 0.7, 1.1), (0.6, 0.8, 1.2)])
    assert [m is not None for m in messages] == [False, True, False]


def test_improving_curves_are_ok() -> None:
    doctor = CurveDoctor(Diagnose(), num_classes=10)
    assert (
        feed(doctor, [(2.0 - i * 0.2, 0.3 + i * 0.1, 2.0 - i * 0.2) for i in range(6)])
        == [None] * 6
    )
    assert doctor.verdict == "ok"


def test_accuracy_stuck_near_chance_is_underfitting() -> None:
    doctor = CurveDoctor(Diagnose(underfit_epochs=2), num_classes=10)
    messages = feed(doctor, [(2.3, 0.11, 2.3), (2.3, 0.11, 2.3), (2.3, 0.115, 2.3)])
    assert messages[2] is not None and "near chance" in messages[2]
    assert doctor.verdict == "underfitting"


def test_state_round_trip() -> None:
    doctor = CurveDoctor(Diagnose(), num_classes=10)
    feed(doctor, [(1.0, 0.5, 1.0)])
    other = CurveDoctor(Diagnose(), num_classes=10)
    other.load_state_dict(doctor.state_dict())
    assert other.history == doctor.history


def test_best_prefers_higher_accuracy_and_lower_loss_and_never_nan() -> None:
    acc, loss = Best("val_acc"), Best("val_loss")
    assert [acc.update(v) for v in (0.5, float("nan"), 0.4, 0.6)] == [True, False, False, True]
    assert [loss.update(v) for v in (1.0, 0.9, float("nan"), 2.0)] == [True, True, False, False]
    assert acc.value == 0.6 and loss.value == 0.9 and loss.since_best == 2


def test_best_min_delta_counts_stale_validations() -> None:
    best = Best("val_loss", min_delta=0.1)
    for value in (1.0, 0.95, 0.93):
        best.update(value)
    assert best.value == 1.0 and best.since_best == 2


def test_a_diverging_loss_is_said_at_once_from_the_step_reports() -> None:
    from tests.conftest import tiny
    from tuitrain.engine import commands as cmd
    from tuitrain.engine import events as ev
    from tuitrain.engine.trainer import Trainer

    # A report after every step: how many reports see the blow-up must not depend on how
    # fast the machine is (the watch smooths over reports).
    report = {"seconds": 0.01, "steps": 1}
    trainer = Trainer(tiny(train={"epochs": 2, "device": "cpu", "report": report}))
    seen: list[ev.Event] = []
    raised: list[int] = []

    def raise_the_rate(event: ev.Event) -> None:
        seen.append(event)
        if isinstance(event, ev.StepProgress) and event.step >= 10 and not raised:
            raised.append(event.step)
            trainer.submit(cmd.SetLR(20.0))  # far too high: the loss explodes

    trainer.subscribe(raise_the_rate)
    trainer.run()
    warned = [e for e in seen if isinstance(e, ev.Warned) and e.category == "diverging"]
    epochs = [e for e in seen if isinstance(e, ev.EpochEnded)]
    assert len(warned) == 1 and warned[0].step is not None
    assert raised[0] < warned[0].step < epochs[-1].step  # mid-epoch, not at its end
    assert "lower the learning rate" in warned[0].message
    assert [e.fit for e in epochs] == ["ok", "diverging"]


def test_noise_and_a_healthy_decline_are_not_divergence() -> None:
    from tuitrain.engine.diagnosis import DivergenceWatch

    watch = DivergenceWatch()
    losses = [2.3, 2.2, 1.5, 0.9, 0.4, 0.1, 0.6, 0.05, 0.5, 0.2, 0.3]  # spiky, but falling
    assert all(watch.update(loss, step) is None for step, loss in enumerate(losses))
    assert not watch.diverging


def test_divergence_ends_when_the_loss_comes_back() -> None:
    from tuitrain.engine.diagnosis import DivergenceWatch

    watch = DivergenceWatch()
    for step, loss in enumerate([2.3, 1.0, 0.8]):
        watch.update(loss, step)
    said = [watch.update(loss, 10 + i) for i, loss in enumerate([50.0, 900.0, float("inf")])]
    assert said[0] is not None and said[1:] == [None, None]  # said once
    for step in range(20, 40):
        watch.update(0.7, step)
    assert not watch.diverging
    assert watch.update(float("nan"), 50) is not None  # a non-finite loss diverges at once
