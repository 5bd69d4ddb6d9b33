"""Deliberately broken presets: each fails with exit code 2, its key path and its line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tuitrain.cli import main
from tuitrain.config import source

BAD = Path(__file__).parent / "bad"


@dataclass(frozen=True)
class Bad:
    file: str
    line: int | None
    """The line the report points at; None where the file as a whole is at fault."""
    key: str
    """The key path the report names; empty where there is none."""
    says: str
    """A phrase the report must contain."""
    at: str = ""
    """The file the report points into, when it is not the one validated."""


CASES = [
    Bad("unknown-top-key.yaml", 2, "optmi", "unknown key; did you mean 'optim'?"),
    Bad("unknown-section-key.yaml", 4, "model.nrom", "did you mean 'norm'?"),
    Bad("unknown-deep-key.yaml", 5, "train.report.secs", "did you mean 'seconds'?"),
    Bad("unknown-augment-key.yaml", 4, "augment.crop.pad", "(allowed here: fill, padding)"),
    Bad("key-of-another-kind.yaml", 5, "optim.momentum", "a setting of sgd, rmsprop only"),
    Bad("json-unknown-key.json", 5, "optim.lrate", "unknown key"),
    Bad("epochs-text.yaml", 3, "train.epochs = 'ten'", "must be a whole number"),
    Bad("widths-not-list.yaml", 3, "model.widths = 32", "must be a list"),
    Bad("section-as-text.yaml", 2, "optim = 'adam'", "write optim: {kind: adam}"),
    Bad("workers-not-int.yaml", 3, "data.workers = 'lots'", "or 'auto'"),
    Bad("lr-zero.yaml", 3, "optim.lr = 0", "must be greater than 0 (allowed: 0 < lr <= 100)"),
    Bad("lr-negative.yaml", 3, "optim.lr = -0.1", "must be greater than 0"),
    Bad("lr-nan.yaml", 4, "optim.lr = .nan", "must be a finite number"),
    Bad("lr-inf.yaml", 2, "optim.lr = .inf", "must be a finite number"),
    Bad("lr-text.yaml", 3, "optim.lr = 'fast'", "must be a number"),
    Bad("betas-out-of-range.yaml", 4, "optim.betas[1] = 1.0", "must be less than 1"),
    Bad("betas-too-short.yaml", 4, "optim.betas = [0.9]", "needs 2 items"),
    Bad("nesterov-without-momentum.yaml", 5, "optim.nesterov = true", "needs momentum > 0"),
    Bad("warmup-as-long-as-run.yaml", 6, "schedule.warmup_epochs", "shorter than the run"),
    Bad("fp16-on-cpu.yaml", 4, "train.precision = 'fp16'", "fp16 needs a CUDA device"),
    Bad("groups-do-not-divide.yaml", 4, "model.groups = 5", "must divide every layer width"),
    Bad("description-two-lines.yaml", 2, "description", "must be text matching"),
    Bad("unknown-optim-kind.yaml", 3, "optim.kind = 'adm'", "did you mean 'adam'?"),
    Bad("unknown-model-kind.yaml", 2, "model.kind = 'resnet'", "did you mean 'resnet18'?"),
    Bad("unknown-schedule-kind.yaml", 3, "schedule.kind", "did you mean 'cosine'?"),
    Bad("norm-misspelt.yaml", 3, "model.norm = 'btach'", "did you mean 'batch'?"),
    Bad("toml-dotted-key.toml", 2, "model.norm = 'btach'", "did you mean 'batch'?"),
    Bad("toml-bad-value.toml", 5, "optim.lr = -1.0", "must be greater than 0"),
    Bad("missing-dataset-root.yaml", 4, "data.root", "does not exist; set data.download"),
    Bad("imagefolder-without-root.yaml", 2, "data.root", "required, but missing"),
    Bad("imagefolder-root-is-a-file.yaml", 4, "data.root", "is a file, not a folder"),
    Bad("extends-cycle-a.yaml", 2, "extends", "cycle", at="extends-cycle-b.yaml"),
    Bad("extends-itself.yaml", 1, "extends", "cycle: extends-itself.yaml -> extends-itself"),
    Bad("missing-parent.yaml", 2, "extends", "no-such-parent.yaml: no such file"),
    Bad("missing-bundled-parent.yaml", 1, "extends", "did you mean 'default'?"),
    Bad("inherits-bad-parent.yaml", 4, "optim.lr = -1", "greater than 0", at="bad-parent.yaml"),
    Bad("empty.yaml", None, "", "is empty; a preset must be a mapping of sections"),
    Bad("comments-only.yaml", None, "", "a preset must be a mapping of sections"),
    Bad("top-level-list.yaml", 1, "", "holds a list; a preset must be a mapping"),
    Bad("top-level-scalar.yaml", 1, "", "holds a single value"),
    Bad("json-top-level-list.json", 1, "", "holds a list"),
    Bad("duplicate-keys.yaml", 5, "", "duplicate key 'lr': first on line 3, again on line 5"),
    Bad("json-duplicate-key.json", 4, "", "duplicate key 'train': first on line 3"),
    Bad("python-tag.yaml", 2, "", "the tag !!python/object/apply:os.system is not allowed"),
    Bad("merge-key.yaml", 3, "", "use `extends:` instead"),
    Bad("alias-bomb.yaml", 4, "", "too large: more than 10000 values"),
    Bad("deep-nesting.yaml", 3, "", "nested more than 32 levels deep"),
    Bad("syntax-error.yaml", 4, "", "not valid YAML"),
    Bad("bad-json.json", 3, "", "not valid JSON"),
    Bad("toml-syntax.toml", 4, "", "not valid TOML"),
]


def _validate(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["validate", *args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.fixture(autouse=True)
def _in_bad_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(BAD)


@pytest.mark.parametrize("case", CASES, ids=[case.file for case in CASES])
def test_bad_preset_is_reported_at_its_key(case: Bad, capsys: pytest.CaptureFixture[str]) -> None:
    code, output = _validate(capsys, case.file)
    assert code == 2
    place = f"{case.at or case.file}:{case.line}:" if case.line else f"{case.file}: "
    assert place in output
    assert case.key in output
    assert case.says in output
    assert "Traceback" not in output
    assert not output.startswith("ok")


def test_every_bad_file_is_in_the_table() -> None:
    listed = {case.file for case in CASES} | {"bad-parent.yaml", "extends-cycle-b.yaml"}
    on_disk = {path.name for path in BAD.iterdir() if path.suffix in source.SUFFIXES}
    assert on_disk - listed == {"many-problems.yaml"}


def test_every_problem_is_reported_not_only_the_first(capsys: pytest.CaptureFixture[str]) -> None:
    code, output = _validate(capsys, "many-problems.yaml")
    assert code == 2
    lines = output.strip().splitlines()
    assert [line.split(": ")[0] for line in lines] == [
        "many-problems.yaml:3:7",
        "many-problems.yaml:4:17",
        "many-problems.yaml:6:3",
        "many-problems.yaml:7:12",
        "many-problems.yaml:9:11",
    ]
    assert "optim.weight_decay = 2: must be at most 1" in output
    assert "model.dropout = 1.5: must be less than 1" in output


def test_a_cycle_names_the_whole_chain(capsys: pytest.CaptureFixture[str]) -> None:
    """The cycle closes at the `extends` that names a file already in the chain."""
    _, output = _validate(capsys, "extends-cycle-a.yaml")
    chain = "extends-cycle-a.yaml -> extends-cycle-b.yaml -> extends-cycle-a.yaml"
    assert f"extends-cycle-b.yaml:2:10: extends: forms a cycle: {chain}" in output


def test_some_bad_presets_among_good_ones(capsys: pytest.CaptureFixture[str]) -> None:
    code, output = _validate(capsys, "default", "lr-zero.yaml", "sgd", "empty.yaml")
    assert code == 2
    assert output.count("ok  ") == 2
    assert "2 of 4 presets have problems" in output


def test_a_file_over_one_mebibyte(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("description: " + "x" * (1 << 20) + "\n")
    code, output = _validate(capsys, str(big))
    assert code == 2
    assert f"{big}: is larger than 1 MiB" in output


def test_a_binary_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    binary = tmp_path / "weights.yaml"
    binary.write_bytes(b"extends: default\n\x00\x01\x02\xff")
    code, output = _validate(capsys, str(binary))
    assert (code, output.strip()) == (2, f"{binary}: is a binary file, not a preset")


def test_a_file_that_is_not_utf8(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("description: caf\xe9\n".encode("latin-1"))
    code, output = _validate(capsys, str(latin))
    assert code == 2
    assert "is not UTF-8 text (byte 16)" in output


def test_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "presets.yaml"
    folder.mkdir()
    code, output = _validate(capsys, str(folder))
    assert (code, output.strip()) == (
        2,
        f"{folder}: is a folder; give a preset file (.yaml, .json or .toml)",
    )


def test_a_missing_file_suggests_a_neighbour(capsys: pytest.CaptureFixture[str]) -> None:
    code, output = _validate(capsys, "lr-zerro.yaml")
    assert (code, output.strip()) == (
        2,
        "lr-zerro.yaml: no such file; did you mean 'lr-zero.yaml'?",
    )


def test_an_unknown_bundled_name(capsys: pytest.CaptureFixture[str]) -> None:
    code, output = _validate(capsys, "nestrov")
    assert code == 2
    assert "no bundled preset named 'nestrov'; did you mean 'nesterov'?" in output


SET_CASES = [
    (["--set", "optim.lr=abc"], "--set optim.lr=abc: optim.lr = 'abc': must be a number"),
    (["--set", "optim.lr=.nan"], "--set optim.lr=.nan: optim.lr = .nan: must be a finite number"),
    (["--set", "optim.lrr=0.1"], "--set optim.lrr=0.1: optim.lrr: unknown key; did you mean 'lr'?"),
    (["--set", "optim.kind=adm"], "optim.kind = 'adm': unknown kind; did you mean 'adam'?"),
    (["--set", "optim.lr"], "--set optim.lr: expected key=value, e.g. --set optim.lr=0.01"),
    (["--set", "=3"], "--set =3: expected key=value"),
    (["--set", "optim..lr=1"], "'optim..lr' is not a key path like optim.lr"),
    (["--set", "optim.lr=[0.1"], "--set optim.lr=[0.1: not valid YAML"),
    (["--set", "model.widths[5]=8"], "model.widths has 3 items; [5] is past its end"),
    (["--set", "optim.lr[0]=8"], "optim.lr is not a list here; set it whole"),
    (["--set", "extends=sgd"], "--set applies after extends is resolved; it cannot change it"),
    (["--set", "optim.lr=!!python/name:os.system"], "the tag !!python/name:os.system is not"),
    (["--set", "model.widths=[]"], "model.widths = []: must be a list of at least 1 item"),
    (["--set", "optim=adam"], "optim = 'adam': must be a mapping of settings; write optim: {kind"),
    (["--set", "data.root=x"], "data.root: unknown key; it is a setting of cifar10, cifar100,"),
]


@pytest.mark.parametrize(("args", "says"), SET_CASES, ids=[args[1] for args, _ in SET_CASES])
def test_bad_set_option(args: list[str], says: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, output = _validate(capsys, "default", *args)
    assert code == 2
    assert says in output
    assert "Traceback" not in output


def test_every_bad_set_option_is_reported(capsys: pytest.CaptureFixture[str]) -> None:
    code, output = _validate(capsys, "default", "--set", "optim.lr=abc", "--set", "x")
    assert code == 2
    assert len(output.strip().splitlines()) == 1  # --set syntax is checked before values
    assert "--set x: expected key=value" in output


@pytest.mark.parametrize(
    ("suffix", "text"),
    [
        (".yaml", "a: " + "[" * 100_000 + "]" * 100_000),
        (".yaml", "a:\n" + "".join(" " * depth + "- \n" for depth in range(0, 2000, 2))),
        (".json", '{"a": ' + "[" * 100_000 + "]" * 100_000 + "}"),
        (".toml", "a = " + "[" * 100_000 + "]" * 100_000),
    ],
    ids=["yaml-flow", "yaml-block", "json", "toml"],
)
def test_very_deep_nesting_is_a_clean_error(
    suffix: str, text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deep = tmp_path / f"deep{suffix}"
    deep.write_text(text)
    code, output = _validate(capsys, str(deep))
    assert code == 2
    assert "nested more than 32 levels deep" in output
    assert "Traceback" not in output
