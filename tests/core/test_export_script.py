"""Run generated scripts in a fresh Python and compare with the app's metrics."""

import ast
import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import train_test_split

from core.data import read_csv
from core.encoding import ColumnSpec, MissingPolicy
from core.export_script import generate_script, split_arguments
from core.metrics import ThresholdTable, multiclass_metrics
from core.pipeline import default_specs, fit_classifier, prepare_data
from core.profiles import profile_columns
from core.samples import sample_csv_bytes
from core.training import TrainConfig, split_rows
from core.values import category_strings

DATA = Path(__file__).parents[1] / "data"
BINARY_SPECS = [
    ColumnSpec("device", "onehot"),
    ColumnSpec("minutes", "numeric"),
    ColumnSpec("tier", "ordinal", ("low", "mid", "high")),
    ColumnSpec("visits", "numeric", scale=False),
]

# name: (dataset, config, missing-value policy, threshold)
CASES = {
    "binary_adam": ("binary", TrainConfig(epochs=12, seed=1), MissingPolicy(), 0.5),
    "binary_sgd_momentum": (
        "binary",
        TrainConfig(
            hidden_layers=(8, 4),
            activation="tanh",
            optimizer="sgd",
            learning_rate=0.05,
            momentum=0.9,
            epochs=30,
            early_stopping=True,
            patience=4,
            restore_best=False,
        ),
        MissingPolicy(numeric="median"),
        0.35,
    ),
    "binary_batch_1": (
        "binary",
        TrainConfig(
            hidden_layers=(),
            optimizer="sgd",
            learning_rate=0.01,
            batch_size=1,
            epochs=3,
            validation_share=0.3,
        ),
        MissingPolicy(strategy="drop_rows"),
        0.5,
    ),
    "binary_early_stopping": (
        "binary",
        TrainConfig(
            activation="sigmoid",
            learning_rate=0.05,
            epochs=300,
            early_stopping=True,
            patience=3,
            seed=5,
        ),
        MissingPolicy(numeric="constant", fill_value=-1.0),
        0.5,
    ),
    "multiclass_penguins": (
        "penguins",
        TrainConfig(epochs=12, batch_size=16, validation_share=0.25),
        MissingPolicy(categorical="constant"),
        None,
    ),
    # Column names that ColumnTransformer rejects as step names.
    "binary_awkward_names": (
        "awkward",
        TrainConfig(epochs=10, batch_size=8, restore_best=False),
        MissingPolicy(),
        0.5,
    ),
    # Small files whose labels are booleans, numbers or partly missing.
    "binary_true_false": (
        "12_true_false_target.csv",
        TrainConfig(epochs=20, batch_size=3, validation_share=0.4),
        MissingPolicy(),
        0.5,
    ),
    "binary_nan_target": (
        "13_nan_target.csv",
        TrainConfig(epochs=20, batch_size=2, validation_share=0.3),
        MissingPolicy(),
        0.5,
    ),
    "multiclass_labels_1_2_3": (
        "11_labels_1_2_3.csv",
        TrainConfig(epochs=20, batch_size=4),
        MissingPolicy(),
        None,
    ),
}

# Runs each script with runpy in one interpreter, because starting Python
# with torch and scikit-learn takes seconds. The project is not importable
# there, so a script that needs it fails.
DRIVER = """
import contextlib, importlib.util, io, json, os, runpy, sys
assert importlib.util.find_spec("core") is None, "the project is importable"
outputs = {}
for path in sys.argv[1:]:
    os.chdir(os.path.dirname(path))
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        runpy.run_path(path, run_name="__main__")
    outputs[path] = buffer.getvalue()
print(json.dumps(outputs))
"""


def write_binary_csv(path: Path, n_rows: int = 300) -> None:
    """Write a seeded semicolon/decimal-comma cp1252 CSV with gaps."""
    rng = np.random.default_rng(3)
    device = rng.choice(["desktop", "mobile", "télé"], n_rows).astype(object)
    minutes = np.round(rng.gamma(3.0, 4.0, n_rows), 2)
    tier = rng.choice(["low", "mid", "high"], n_rows).astype(object)
    visits = rng.poisson(5, n_rows).astype(float)
    effect = pd.Series(tier).map({"low": -1.0, "mid": 0.0, "high": 1.0}).to_numpy()
    logit = 0.15 * (minutes - 12) + effect + 0.2 * (visits - 5)
    converted = np.where(rng.random(n_rows) < 1 / (1 + np.exp(-logit)), "yes", "no")
    converted = converted.astype(object)
    minutes[rng.choice(n_rows, 9, replace=False)] = np.nan
    visits[rng.choice(n_rows, 7, replace=False)] = np.nan
    tier[rng.choice(n_rows, 6, replace=False)] = None
    device[rng.choice(n_rows, 5, replace=False)] = None
    # One row with a rare level, which some splits leave out of the training rows.
    device[rng.choice(n_rows)] = "kiosk"
    converted[[4, 150]] = None
    frame = pd.DataFrame(
        {
            "device": device,
            "minutes": minutes,
            "tier": tier,
            "visits": visits,
            "converted": converted,
        }
    )
    frame.to_csv(path, sep=";", decimal=",", index=False, encoding="cp1252")


def write_awkward_csv(path: Path) -> None:
    """Write a CSV whose numeric column names ColumnTransformer rejects."""
    rng = np.random.default_rng(4)
    size = np.round(rng.normal(10, 3, 80), 1)
    size[[3, 9]] = np.nan
    frame = pd.DataFrame(
        {"n_jobs": rng.poisson(3, 80), "size__cm": size, "label": ["a", "b"] * 40}
    )
    frame.to_csv(path, index=False)


def read_case_data(dataset: str, csv_path: Path) -> tuple:
    """Write the case's CSV and return its table, target and column specs."""
    if dataset == "binary":
        write_binary_csv(csv_path)
        return read_csv(csv_path), "converted", BINARY_SPECS
    if dataset == "awkward":
        write_awkward_csv(csv_path)
        specs = [
            ColumnSpec("n_jobs", "numeric", scale=False),
            ColumnSpec("size__cm", "numeric", scale=False),
        ]
        return read_csv(csv_path), "label", specs
    if dataset == "penguins":
        csv_path.write_bytes(sample_csv_bytes("penguins"))
        target = "species"
    else:
        csv_path.write_bytes((DATA / dataset).read_bytes())
        target = None
    table = read_csv(csv_path)
    target = target or str(table.frame.columns[-1])
    specs = default_specs(table.frame, target, profile_columns(table.frame))
    return table, target, specs


def train_case(name: str, folder: Path) -> tuple:
    """Train one case in core and write its script next to its CSV."""
    dataset, config, missing, threshold = CASES[name]
    folder.mkdir()
    table, target, specs = read_case_data(dataset, folder / "data.csv")
    prepared = prepare_data(table.frame, target, specs, missing)
    model = fit_classifier(prepared, config)
    if threshold is not None:
        model = model.with_threshold(threshold)
    script = generate_script(
        model,
        "data.csv",
        prepared.specs,
        prepared.target,
        sep=table.delimiter,
        decimal=table.decimal,
        encoding=table.encoding,
    )
    script_path = folder / "reproduce.py"
    script_path.write_text(script, encoding="utf-8")
    return model, table, script_path


def clean_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    return env


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Train every case, then run all scripts in one subprocess."""
    root = tmp_path_factory.mktemp("export")
    trained = {name: train_case(name, root / name) for name in CASES}
    paths = [str(trained[name][2]) for name in CASES]
    result = subprocess.run(
        [sys.executable, "-c", DRIVER, *paths],
        cwd=root,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    outputs = json.loads(result.stdout)
    return {
        name: (model, table, path, outputs[str(path)])
        for name, (model, table, path) in trained.items()
    }


def parse_common(output: str) -> dict:
    trained = re.search(
        r"trained (\d+) epochs, kept the (?:weights of epoch (\d+)|last weights)",
        output,
    )
    accuracy = re.search(r"accuracy  ([\d.]+) \((\d+) of (\d+) rows\)", output)
    return {
        "epochs": int(trained.group(1)),
        "kept_epoch": int(trained.group(2)) if trained.group(2) else None,
        "valid_loss": re.search(r"validation loss (\S+)", output).group(1),
        "accuracy": accuracy.group(1),
        "n_correct": int(accuracy.group(2)),
        "n_valid": int(accuracy.group(3)),
    }


def kept_epoch(model) -> int:
    """Return the epoch whose weights the model kept (1-based)."""
    losses = [record.valid_loss for record in model.history]
    if model.config.restore_best:
        return int(np.argmin(losses)) + 1
    return len(losses)


BINARY_CASES = [name for name in CASES if name.startswith("binary")]
MULTICLASS_CASES = [name for name in CASES if name.startswith("multiclass")]


def test_script_passes_detected_dialect(runs):
    _, table, path, _ = runs["binary_adam"]
    assert (table.delimiter, table.decimal, table.encoding) == (";", ",", "cp1252")
    script = path.read_text(encoding="utf-8")
    assert 'pd.read_csv("data.csv", sep=";", decimal=",", encoding="cp1252")' in script


@pytest.mark.parametrize("name", BINARY_CASES)
def test_binary_script_matches_core(runs, name):
    model, _, _, output = runs[name]
    printed = parse_common(output)
    expected = ThresholdTable.from_scores(model.y_valid, model.valid_proba).at(
        model.threshold
    )
    loss = model.history[kept_epoch(model) - 1].valid_loss
    assert printed["epochs"] == len(model.history)
    assert printed["valid_loss"] == f"{loss:.6f}"
    assert printed["n_valid"] == len(model.y_valid)
    assert printed["n_correct"] == expected.tp + expected.tn
    assert printed["accuracy"] == f"{model.validation_accuracy():.4f}"
    for metric in ("precision", "recall", "f1"):
        value = re.search(rf"^{metric} +(\S+)$", output, re.MULTILINE).group(1)
        assert value == f"{getattr(expected, metric):.4f}", metric
    matrix = re.search(r"\[\[\s*(\d+)\s+(\d+)\]\s*\[\s*(\d+)\s+(\d+)\]\]", output)
    counts = [int(v) for v in matrix.groups()]
    assert counts == [expected.tn, expected.fp, expected.fn, expected.tp]


@pytest.mark.parametrize("name", BINARY_CASES)
def test_binary_script_keeps_same_epoch(runs, name):
    model, _, _, output = runs[name]
    printed = parse_common(output)
    if model.config.restore_best:
        assert printed["kept_epoch"] == kept_epoch(model)
    else:
        assert printed["kept_epoch"] is None


@pytest.mark.parametrize("name", list(CASES))
def test_script_probabilities_equal_core(runs, name):
    model, _, path, _ = runs[name]
    predictions = pd.read_csv(path.parent / "validation_predictions.csv")
    if model.is_binary:
        columns = ["probability"]
    else:
        columns = [f"probability_{label}" for label in model.classes_]
    proba = predictions[columns].to_numpy(np.float32).reshape(model.valid_proba.shape)
    assert predictions["y_true"].tolist() == model.y_valid.tolist()
    # Bit for bit, because the script runs the app's float32 operations in
    # the same order.
    np.testing.assert_array_equal(proba, model.valid_proba)
    assert predictions["y_pred"].tolist() == model.valid_predictions().tolist()


def test_sgd_case_has_level_unseen_in_training(runs):
    # Its validation rows hold the only "kiosk" row, which the script's
    # OneHotEncoder(handle_unknown="ignore") encodes as all zeros, as the app does.
    model, _, _, _ = runs["binary_sgd_momentum"]
    device = next(c for c in model.encoder.columns_ if c.name == "device")
    assert device.categories == ["desktop", "mobile", "télé"]


def test_early_stopping_case_stops_early(runs):
    model, _, _, output = runs["binary_early_stopping"]
    assert model.status == "early_stopped"
    assert len(model.history) < model.config.epochs
    assert parse_common(output)["epochs"] == len(model.history)


@pytest.mark.parametrize("name", MULTICLASS_CASES)
def test_multiclass_script_matches_core(runs, name):
    model, _, _, output = runs[name]
    printed = parse_common(output)
    expected = multiclass_metrics(model.y_valid, model.valid_proba, model.classes_)
    n_correct = int((expected.y_pred == model.y_valid).sum())
    assert printed["epochs"] == len(model.history)
    assert printed["kept_epoch"] == kept_epoch(model)
    assert (
        printed["valid_loss"]
        == f"{model.history[kept_epoch(model) - 1].valid_loss:.6f}"
    )
    assert printed["n_valid"] == len(model.y_valid)
    assert printed["n_correct"] == n_correct
    for label in model.classes_:
        pattern = rf"^\s*{re.escape(label)}\s+(\S+)\s+(\S+)\s+(\S+)\s+(\d+)$"
        row = re.search(pattern, output, re.MULTILINE)
        report = expected.report.loc[label]
        assert row.group(1) == f"{report['precision']:.4f}", label
        assert row.group(2) == f"{report['recall']:.4f}", label
        assert row.group(3) == f"{report['f1-score']:.4f}", label
        assert int(row.group(4)) == report["support"], label


def test_multiclass_case_has_missing_level(runs):
    model, _, path, _ = runs["multiclass_penguins"]
    sex = next(c for c in model.encoder.columns_ if c.name == "sex")
    assert "(missing)" in sex.categories
    script = path.read_text(encoding="utf-8")
    assert 'SimpleImputer(strategy="constant", fill_value="(missing)")' in script


def test_script_runs_alone_with_python(runs):
    _, _, path, output = runs["binary_adam"]
    result = subprocess.run(
        [sys.executable, path.name],
        cwd=path.parent,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout == output


@pytest.mark.parametrize("name", list(CASES))
def test_script_imports_no_project_code(runs, name):
    script = runs[name][2].read_text(encoding="utf-8")
    modules = set()
    for node in ast.walk(ast.parse(script)):
        if isinstance(node, ast.Import):
            modules |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            modules.add(node.module.split(".")[0])
    assert modules <= {"copy", "numpy", "pandas", "sklearn", "torch"}


def test_scripts_pass_ruff(runs):
    paths = [str(runs[name][2]) for name in CASES]
    fmt = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", "--diff", *paths],
        capture_output=True,
        text=True,
    )
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr
    lint = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--select", "E,F,I,B,UP,W", *paths],
        capture_output=True,
        text=True,
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr


CATEGORY_VALUES = [
    1,
    1.0,
    2.5,
    -0.0,
    1e20,
    float("inf"),
    True,
    False,
    np.True_,
    np.int64(3),
    np.float64(4.0),
    " padded ",
    "b",
    None,
    np.nan,
]


@pytest.mark.parametrize(
    "series",
    [
        pd.Series(CATEGORY_VALUES, dtype=object),
        pd.Series([1.0, 2.5, np.nan, 3.0]),
        pd.Series([True, False, True]),
        pd.Series([" x", "y ", None], dtype="str"),
    ],
    ids=["object", "float", "bool", "str"],
)
def test_script_category_helper_matches_core(runs, series):
    script = runs["binary_adam"][2].read_text(encoding="utf-8")
    helper = next(
        node for node in ast.parse(script).body if isinstance(node, ast.FunctionDef)
    )
    namespace = {"np": np, "pd": pd}
    exec(compile(ast.Module([helper], []), "as_category", "exec"), namespace)
    mapped = series.map(namespace["as_category"])
    expected = category_strings(series)
    assert mapped.isna().tolist() == expected.isna().tolist()
    assert mapped.dropna().tolist() == expected.dropna().tolist()


@pytest.mark.parametrize(
    ("y", "stratify"),
    [
        (np.array([0] * 30 + [1] * 10), True),
        (np.array([0] * 20 + [1] * 9 + [2]), False),
        (np.array([0, 1, 2, 0, 1, 2]), False),
        (np.array([0, 0, 0, 1, 1, 1, 0, 1, 0, 1]), True),
    ],
)
def test_split_arguments_match_split_rows(y, stratify):
    n_valid, stratified = split_arguments(y, 0.2)
    train_idx, valid_idx = train_test_split(
        np.arange(len(y)),
        test_size=n_valid,
        random_state=7,
        stratify=y if stratified else None,
    )
    core_train, core_valid = split_rows(y, 0.2, 7)
    assert stratified is stratify
    assert np.array_equal(np.sort(train_idx), core_train)
    assert np.array_equal(np.sort(valid_idx), core_valid)


def small_model(frame: pd.DataFrame, specs, **config):
    prepared = prepare_data(frame, "y", specs)
    model = fit_classifier(prepared, TrainConfig(epochs=1, **config))
    return prepared, model


def test_other_level_rejected():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {"code": [f"c{i}" for i in range(230)], "y": rng.choice(["a", "b"], 230)}
    )
    prepared, model = small_model(frame, [ColumnSpec("code", "onehot")])
    with pytest.raises(NotImplementedError, match=r"column 'code' .* '\(other\)'"):
        generate_script(model, "data.csv", prepared.specs, prepared.target)


def toy_frame(n_rows: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    return pd.DataFrame(
        {"x": rng.normal(size=n_rows), "y": rng.choice(["a", "b"], n_rows)}
    )


def test_target_of_other_data_rejected():
    prepared, model = small_model(toy_frame(), [ColumnSpec("x", "numeric")])
    other = prepare_data(toy_frame(60), "y", [ColumnSpec("x", "numeric")])
    with pytest.raises(ValueError, match="pass the PreparedData that trained"):
        generate_script(model, "data.csv", prepared.specs, other.target)


def test_specs_of_other_columns_rejected():
    prepared, model = small_model(toy_frame(), [ColumnSpec("x", "numeric")])
    with pytest.raises(ValueError, match=r"the specs use the columns \[\]"):
        generate_script(model, "data.csv", [ColumnSpec("x", "drop")], prepared.target)


def test_stopped_run_noted_in_header():
    stop = threading.Event()
    stop.set()
    prepared = prepare_data(toy_frame(), "y", [ColumnSpec("x", "numeric")])
    model = fit_classifier(prepared, TrainConfig(epochs=5), stop_event=stop)
    assert model.status == "stopped"
    script = generate_script(model, "data.csv", prepared.specs, prepared.target)
    assert "NOTE: the app's run ended early (stopped)" in script
