"""Page tests of the threshold tools, the Runs page and the multiclass costs.

Every value the pages show is checked against scikit-learn or a count made
here from the model's cached validation probabilities.
"""

import base64
import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.calibration import calibration_curve
from sklearn.metrics import (
    accuracy_score,
    brier_score_loss,
    confusion_matrix,
    f1_score,
    precision_score,
    recall_score,
)
from streamlit.testing.v1 import AppTest

from components.jobs import get_registry
from core import bundle
from core.metrics import ThresholdTable
from core.samples import sample_csv_bytes
from core.threshold_tools import SLIDER_GRID

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 60
JOB_TIMEOUT_S = 120


def new_app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT_S).run()


def tab_state(at: AppTest):
    return at.session_state["explorer_state"]


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def train_sample(at: AppTest, name: str, epochs: int = 3) -> AppTest:
    """Load a bundled sample (once), train it and rerun once the job has ended."""
    if tab_state(at).data is None:
        at.button(key=f"sample_{name}").click().run()
    at.switch_page("app_pages/train.py").run()
    at.number_input(key="train_epochs").set_value(epochs)
    at.button[0].click().run()
    record = get_registry().get(tab_state(at).run_id)
    assert record is not None
    assert record.job.join(timeout=JOB_TIMEOUT_S)
    return at.run()


def evaluate_students(epochs: int = 3) -> AppTest:
    at = train_sample(new_app(), "students", epochs)
    at.switch_page("app_pages/evaluate.py").run()
    assert_clean(at)
    return at


def decode(value):
    """Return a plotly JSON array, which may be base64 typed-array data."""
    if isinstance(value, dict) and "bdata" in value:
        array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        if "shape" in value:
            shape = [int(n) for n in str(value["shape"]).split(",")]
            array = array.reshape(shape)
        return array
    return np.array([np.nan if v is None else v for v in value], dtype=float)


def chart_spec(at: AppTest, key: str) -> dict:
    charts = [c for c in at.get("plotly_chart") if c.proto.id.endswith(f"-{key}")]
    assert len(charts) == 1, f"expected one chart with key {key!r}"
    return json.loads(charts[0].proto.spec)


def traces(spec: dict) -> dict[str, dict]:
    return {trace.get("name"): trace for trace in spec["data"]}


def frame_with_columns(at: AppTest, first_column: str):
    for element in at.dataframe:
        if first_column in element.value.columns:
            return element.value
    raise AssertionError(f"no table with a column {first_column!r}")


def test_sweep_plot_matches_sklearn() -> None:
    at = evaluate_students()
    at.slider[0].set_value(0.3).run()
    model = tab_state(at).model
    spec = chart_spec(at, "threshold_sweep")
    shown = traces(spec)
    scorers = {
        "precision": lambda t, p: precision_score(t, p, zero_division=np.nan),
        "recall": recall_score,
        "f1": f1_score,
        "accuracy": accuracy_score,
    }
    for name, scorer in scorers.items():
        x = decode(shown[name]["x"])
        y = decode(shown[name]["y"])
        # The validation set is small, so every distinct score is a threshold.
        assert len(x) == len(np.unique(model.valid_proba)) + 1
        y_preds = [model.valid_proba >= np.float32(t) for t in x]
        expected = [scorer(model.y_valid, y_pred.astype(int)) for y_pred in y_preds]
        np.testing.assert_allclose(y, expected, equal_nan=True)
    lines = [shape for shape in spec["layout"]["shapes"] if shape["type"] == "line"]
    assert [line["x0"] for line in lines] == [0.3]


@pytest.mark.parametrize("target", [0.8, 0.95])
def test_recall_target_moves_slider(target: float) -> None:
    at = evaluate_students()
    at.number_input(key="target_recall").set_value(target).run()
    at.button(key="suggest_recall target").click().run()
    assert_clean(at)
    model = tab_state(at).model
    recalls = np.array(
        [recall_score(model.y_valid, model.valid_proba >= t) for t in SLIDER_GRID]
    )
    expected = SLIDER_GRID[np.flatnonzero(recalls >= target)[-1]]
    assert at.slider[0].value == pytest.approx(expected)
    assert tab_state(at).threshold == pytest.approx(expected)
    shown = {metric.label: metric.value for metric in at.metric}
    assert float(shown["Recall"]) >= target


def test_precision_target_moves_slider() -> None:
    at = evaluate_students()
    at.number_input(key="target_precision").set_value(0.85).run()
    model = tab_state(at).model
    precisions = np.array(
        [
            precision_score(model.y_valid, model.valid_proba >= t, zero_division=0)
            for t in SLIDER_GRID
        ]
    )
    reached = np.flatnonzero(precisions >= 0.85)
    assert len(reached), "the seeded model should reach precision 0.85"
    at.button(key="suggest_precision target").click().run()
    assert_clean(at)
    assert at.slider[0].value == pytest.approx(SLIDER_GRID[reached[0]])
    shown = {metric.label: metric.value for metric in at.metric}
    assert float(shown["Precision"]) >= 0.85


def test_abstain_band_reaches_file_and_predictions() -> None:
    at = evaluate_students()
    assert tab_state(at).abstain_band is None
    at.toggle(key="abstain_on_1").set_value(True).run()
    at.slider(key="abstain_band_1").set_value((0.35, 0.65)).run()
    assert_clean(at)
    model = tab_state(at).model
    p, y = model.valid_proba, model.y_valid
    in_band = (p >= np.float32(0.35)) & (p < np.float32(0.65))
    decided = ~in_band
    y_pred = (p >= np.float32(0.5)).astype(int)
    table = frame_with_columns(at, "with band")
    shown = table["with band"]
    assert shown["rows sent to review"] == str(int(in_band.sum()))
    assert shown["rows labelled"] == str(int(decided.sum()))
    assert shown["share sent to review"] == f"{in_band.mean():.1%}"
    assert shown["Accuracy"] == f"{accuracy_score(y[decided], y_pred[decided]):.3f}"
    assert shown["Recall"] == f"{recall_score(y[decided], y_pred[decided]):.3f}"
    plain = table["without band"]
    assert plain["Accuracy"] == f"{accuracy_score(y, y_pred):.3f}"
    shapes = chart_spec(at, "band_histogram")["layout"]["shapes"]
    rects = [(s["x0"], s["x1"]) for s in shapes if s["type"] == "rect"]
    assert rects == [(0.35, 0.65)]

    at.switch_page("app_pages/predict.py").run()
    assert bundle.load_model(tab_state(at).model_bytes).abstain_band == (0.35, 0.65)
    at.file_uploader(key="predict_upload").set_value(
        ("students.csv", sample_csv_bytes("students"), "text/csv")
    ).run()
    assert_clean(at)
    frame = tab_state(at).prediction.frame
    proba = frame["probability_yes"].to_numpy()
    review = (proba >= np.float32(0.35)) & (proba < np.float32(0.65))
    assert review.any()
    assert (frame.loc[review, "prediction"] == "review").all()
    assert not (frame.loc[~review, "prediction"] == "review").any()
    expected_note = f"{int(review.sum())} of the {len(frame)} predicted rows"
    assert any(expected_note in info.value for info in at.info)


def test_band_off_leaves_file_without_band() -> None:
    at = evaluate_students()
    at.toggle(key="abstain_on_1").set_value(True).run()
    at.toggle(key="abstain_on_1").set_value(False).run()
    assert_clean(at)
    assert tab_state(at).abstain_band is None
    at.switch_page("app_pages/predict.py").run()
    assert bundle.load_model(tab_state(at).model_bytes).abstain_band is None


def test_threshold_outside_band_warns() -> None:
    at = evaluate_students()
    at.slider[0].set_value(0.2).run()
    at.toggle(key="abstain_on_1").set_value(True).run()
    at.slider(key="abstain_band_1").set_value((0.4, 0.6)).run()
    assert_clean(at)
    warnings = " ".join(warning.value for warning in at.warning)
    assert "rows with 0.20 ≤ p < 0.40 are still labelled positive" in warnings


def test_reliability_curve_matches_sklearn() -> None:
    at = evaluate_students()
    model = tab_state(at).model
    curve = traces(chart_spec(at, "reliability_curve"))["validation rows"]
    observed, predicted = calibration_curve(model.y_valid, model.valid_proba, n_bins=10)
    np.testing.assert_allclose(decode(curve["x"]), predicted, rtol=1e-6)
    np.testing.assert_allclose(decode(curve["y"]), observed, rtol=1e-6)
    brier = brier_score_loss(model.y_valid, model.valid_proba.astype(float))
    assert any(f"= {brier:.4f}, where y is 1" in c.value for c in at.caption)


def test_runs_page_compares_and_switches() -> None:
    at = train_sample(new_app(), "students", epochs=2)
    at.switch_page("app_pages/evaluate.py").run()
    at.slider[0].set_value(0.3).run()
    first = tab_state(at).model
    at = train_sample(at, "students", epochs=4)
    second = tab_state(at).model
    assert second is not first

    at.switch_page("app_pages/runs.py").run()
    assert_clean(at)
    table = frame_with_columns(at, "run 2 (current)")
    assert list(table.columns) == ["run 2 (current)", "run 1"]
    assert table.loc["max epochs"].tolist() == ["4", "2"]
    assert table.loc["threshold", "run 1"] == "0.30"
    y_pred = (first.valid_proba >= np.float32(0.3)).astype(int)
    accuracy = accuracy_score(first.y_valid, y_pred)
    assert table.loc["Accuracy", "run 1"] == f"{accuracy:.3f}"
    at_half = ThresholdTable.from_scores(second.y_valid, second.valid_proba).at(0.5)
    assert table.loc["F1", "run 2 (current)"] == at_half.value_text("f1")
    names = [trace["name"] for trace in chart_spec(at, "runs_loss_overlay")["data"]]
    assert names == [
        "run 1: train",
        "run 1: validation",
        "run 2: train",
        "run 2: validation",
    ]

    assert at.button(key="use_run_2").disabled
    at.button(key="use_run_1").click().run()
    at.run()
    assert_clean(at)
    assert tab_state(at).model is first
    assert tab_state(at).threshold == 0.3
    assert list(frame_with_columns(at, "run 1 (current)").columns) == [
        "run 2",
        "run 1 (current)",
    ]
    at.switch_page("app_pages/evaluate.py").run()
    assert tab_state(at).model is first
    assert at.slider[0].value == 0.3


def keep_runs_script() -> None:
    """Make 12 models current, one twice, as 12 finished trainings would."""
    import pandas as pd

    from components import state
    from core import pipeline
    from core.training import TrainConfig

    frame = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0] * 3, "y": ["a", "b"] * 6})
    specs = pipeline.default_specs(frame, "y")
    prepared = pipeline.prepare_data(frame, "y", specs)
    model = pipeline.fit_classifier(prepared, TrainConfig(epochs=1))
    state.init()
    if not state.get().runs:
        for number in range(1, 13):
            state.set_model(model, f"run-{number}")
        state.set_model(model, "run-12")


def test_runs_keep_the_last_ten() -> None:
    at = AppTest.from_function(keep_runs_script, default_timeout=TIMEOUT_S).run()
    assert_clean(at)
    kept = tab_state(at).runs
    assert len(kept) == 10
    assert [entry.number for entry in kept] == list(range(3, 13))
    assert [entry.run_id for entry in kept] == [f"run-{n}" for n in range(3, 13)]


def test_multiclass_cost_matrix_rule() -> None:
    at = train_sample(new_app(), "penguins", epochs=3)
    at.switch_page("app_pages/evaluate.py").run()
    assert_clean(at)
    model = tab_state(at).model
    argmax = model.valid_proba.argmax(axis=1)
    assert any(caption.value.startswith("0 of ") for caption in at.caption)

    # Predicting the first class for a row of the second costs 5, and the
    # third for the first costs 3.
    editor = next(e for e in at.data_editor if e.key == "cost_matrix_1")
    at.session_state[editor.key] = {
        "edited_rows": {1: {model.classes_[0]: 5.0}, 0: {model.classes_[2]: 3.0}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    assert_clean(at)
    cost = 1.0 - np.eye(3)
    cost[1, 0], cost[0, 2] = 5.0, 3.0
    y_pred = np.argmin(model.valid_proba.astype(float) @ cost, axis=1)
    z = decode(chart_spec(at, "confusion_min_cost")["data"][0]["z"])
    np.testing.assert_array_equal(
        z, confusion_matrix(model.y_valid, y_pred, labels=[0, 1, 2])
    )
    shown = {metric.label: metric.value for metric in at.metric}
    argmax_cost = cost[model.y_valid, argmax].mean()
    min_cost = cost[model.y_valid, y_pred].mean()
    assert shown["Mean cost per validation row, argmax"] == f"{argmax_cost:.3f}"
    label = "Mean cost per validation row, minimum expected cost"
    assert shown[label] == f"{min_cost:.3f}"
    reports = [e.value for e in at.dataframe if "f1-score" in e.value.columns]
    report = reports[-1]
    recall = recall_score(model.y_valid, y_pred, average=None, zero_division=np.nan)
    for name, value in zip(model.classes_, recall, strict=True):
        assert report.loc[name, "recall"] == f"{value:.4f}"


def test_script_download_offered() -> None:
    at = evaluate_students()
    labels = [button.label for button in at.get("download_button")]
    assert labels == ["Download training script (.py)"]
    script = tab_state(at).script
    compile(script, "train_passed.py", "exec")
    assert "students.csv" in script
    assert "threshold = 0.5" in script
    at.slider[0].set_value(0.35).run()
    assert "threshold = 0.35" in tab_state(at).script
