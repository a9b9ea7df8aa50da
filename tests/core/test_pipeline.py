import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.bundle import load_model, model_to_bytes
from core.data import read_csv
from core.encoding import ColumnSpec, MissingPolicy
from core.errors import EncodingSpecError, TargetError
from core.job import TrainingJob
from core.pipeline import default_specs, fit_classifier, prepare_data
from core.profiles import profile_columns
from core.samples import sample_csv_bytes
from core.training import TrainConfig

DATA = Path(__file__).parents[1] / "data"


def read(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA / name)


def specs_for(frame: pd.DataFrame, target: str) -> list[ColumnSpec]:
    return default_specs(frame, target)


def test_missing_target_rows_dropped_with_note():
    frame = read("13_nan_target.csv")
    prepared = prepare_data(frame, "churned", specs_for(frame, "churned"))
    assert prepared.n_samples == 8
    assert prepared.target.classes_ == ["no", "yes"]
    assert prepared.notes == [
        "2 rows have no target value (data rows 4 and 7); they are left out of training"
    ]


def test_drop_rows_policy_counts_rows():
    frame = pd.DataFrame(
        {"x": [1.0, None, 3.0, 4.0, 5.0, 6.0], "y": ["a", "b", "a", "b", "a", "b"]}
    )
    policy = MissingPolicy(strategy="drop_rows")
    prepared = prepare_data(frame, "y", [ColumnSpec("x", "numeric")], policy)
    assert prepared.n_samples == 5
    assert prepared.notes == ["1 rows with a missing feature value were dropped"]


def test_unknown_target_rejected():
    frame = read("12_yes_no_target.csv")
    with pytest.raises(TargetError, match="target column 'bought' is not in the data"):
        prepare_data(frame, "bought", specs_for(frame, "subscribed"))


def test_target_as_feature_rejected():
    frame = read("12_yes_no_target.csv")
    specs = [ColumnSpec("subscribed", "onehot"), ColumnSpec("calls", "numeric")]
    with pytest.raises(EncodingSpecError, match="also listed as a feature"):
        prepare_data(frame, "subscribed", specs)


def test_too_few_rows_rejected():
    frame = pd.DataFrame({"x": [1, 2, 3], "y": ["a", "b", "a"]})
    with pytest.raises(TargetError, match="only 3 usable rows"):
        prepare_data(frame, "y", [ColumnSpec("x", "numeric")])


def test_encoder_refitted_on_training_rows_only():
    frame = read("12_yes_no_target.csv")
    prepared = prepare_data(frame, "subscribed", specs_for(frame, "subscribed"))
    model = fit_classifier(prepared, TrainConfig(epochs=2, validation_share=0.3))
    column = next(c for c in model.encoder.columns_ if c.name == "minutes")
    assert len(model.y_valid) == 3
    assert column.mean != pytest.approx(float(frame["minutes"].mean()))
    assert column.mean != pytest.approx(prepared.encoder.columns_[1].mean)


def test_bool_target_trains_with_bce():
    frame = read("12_true_false_target.csv")
    prepared = prepare_data(frame, "defaulted", specs_for(frame, "defaulted"))
    model = fit_classifier(prepared, TrainConfig(epochs=20, validation_share=0.25))
    assert model.is_binary
    assert model.classes_ == ["False", "True"]
    assert model.valid_proba.shape == (2,)


def test_labels_1_2_3_train_three_outputs():
    frame = read("11_labels_1_2_3.csv")
    prepared = prepare_data(frame, "grade", specs_for(frame, "grade"))
    model = fit_classifier(prepared, TrainConfig(epochs=5, validation_share=0.34))
    assert model.network[-1].out_features == 3
    predictions = model.predict(frame).frame["prediction"]
    assert set(predictions) <= {"1", "2", "3"}


def test_job_runs_in_background_and_keeps_history():
    frame = read("22_rerun_state.csv")
    prepared = prepare_data(frame, "rain", specs_for(frame, "rain"))
    job = TrainingJob(prepared, TrainConfig(epochs=30, validation_share=0.3))
    job.start()
    assert job.join(timeout=60)
    assert job.status == "finished"
    assert job.epochs_done == 30
    assert [r.epoch for r in job.history()] == list(range(1, 31))
    assert job.model is not None
    assert job.error is None


def test_job_stop_keeps_model():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=5_000)})
    frame["y"] = np.where(frame["x"] > 0, "up", "down")
    prepared = prepare_data(frame, "y", [ColumnSpec("x", "numeric")])
    job = TrainingJob(prepared, TrainConfig(epochs=1000, batch_size=1))
    job.start()
    deadline = threading.Event()
    while job.epochs_done < 1 and not deadline.wait(0.05):
        pass
    job.stop()
    assert job.join(timeout=60)
    assert job.status == "stopped"
    assert job.model is not None
    assert job.epochs_done < 1000


def test_job_reports_divergence_message():
    frame = read("22_rerun_state.csv")
    prepared = prepare_data(frame, "rain", specs_for(frame, "rain"))
    config = TrainConfig(optimizer="sgd", learning_rate=1e9, batch_size=1)
    job = TrainingJob(prepared, config).start()
    assert job.join(timeout=60)
    assert job.status == "failed"
    assert "learning rate 1e+09" in str(job.error)
    assert job.model is None


def test_ordinal_level_only_in_validation_keeps_its_code():
    levels = ["low"] * 30 + ["mid"] * 30 + ["high"] * 30 + ["top"]
    frame = pd.DataFrame({"tier": levels, "y": ["a", "b"] * 45 + ["b"]})
    specs = [ColumnSpec("tier", "ordinal")]
    prepared = prepare_data(frame, "y", specs)
    assert prepared.specs[0].order == ("high", "low", "mid", "top")
    config = TrainConfig(epochs=1, validation_share=0.5, seed=0)
    model = fit_classifier(prepared, config)
    assert model.encoder.columns_[0].categories == ["high", "low", "mid", "top"]


@pytest.mark.parametrize(
    ("name", "target", "min_accuracy"),
    [("breast_cancer", "diagnosis", 0.95), ("penguins", "species", 0.95)],
)
def test_sample_reaches_sensible_accuracy(name, target, min_accuracy):
    table = read_csv(sample_csv_bytes(name))
    specs = default_specs(table.frame, target, profile_columns(table.frame))
    prepared = prepare_data(table.frame, target, specs)
    model = fit_classifier(prepared, TrainConfig(epochs=40, seed=0))
    accuracy = model.validation_accuracy()
    assert accuracy >= min_accuracy, accuracy
    loaded = load_model(model_to_bytes(model))
    before = model.predict(table.frame).frame
    after = loaded.predict(table.frame).frame
    pd.testing.assert_frame_equal(before, after)
