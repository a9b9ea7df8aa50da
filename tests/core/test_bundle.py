import dataclasses
import io
import pickle
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from core.bundle import FORMAT_VERSION, load_model, model_to_bytes, model_to_dict
from core.data import read_csv
from core.encoding import ColumnSpec
from core.errors import ModelFileError, PredictionError
from core.pipeline import fit_classifier, prepare_data
from core.training import TrainConfig

DATA = Path(__file__).parents[1] / "data"
MARKER = DATA.parent / "payload-ran.txt"


def read(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA / name)


@pytest.fixture(scope="module")
def multiclass_model():
    frame = read("23_model_roundtrip.csv")
    specs = [
        ColumnSpec("size", "onehot"),
        ColumnSpec("colour", "onehot"),
        ColumnSpec("price", "numeric"),
    ]
    prepared = prepare_data(frame, "category", specs)
    config = TrainConfig(epochs=60, learning_rate=0.05, validation_share=0.34)
    return fit_classifier(prepared, config, dataset_name="shop")


@pytest.fixture(scope="module")
def binary_model():
    frame = read("09_unseen_train.csv")
    specs = [
        ColumnSpec("device", "onehot"),
        ColumnSpec("tier", "ordinal", ("low", "mid", "high")),
        ColumnSpec("visits", "numeric"),
    ]
    prepared = prepare_data(frame, "converted", specs)
    model = fit_classifier(prepared, TrainConfig(epochs=40, validation_share=0.3))
    return model.with_threshold(0.4)


def test_file_opens_with_weights_only(multiclass_model):
    payload = torch.load(
        io.BytesIO(model_to_bytes(multiclass_model)), weights_only=True
    )
    assert payload["target"]["classes"] == ["budget", "premium", "standard"]
    assert payload["feature_names"][:3] == ["size_large", "size_medium", "size_small"]
    assert set(payload["state_dict"]) == set(multiclass_model.network.state_dict())
    assert payload["versions"]["torch"] == str(torch.__version__)


def test_round_trip_predicts_the_same(multiclass_model):
    frame = read("23_model_roundtrip.csv")
    loaded = load_model(model_to_bytes(multiclass_model))
    before = multiclass_model.predict(frame).frame
    after = loaded.predict(frame).frame
    pd.testing.assert_frame_equal(before, after)
    assert loaded.classes_ == multiclass_model.classes_
    assert loaded.history == multiclass_model.history
    np.testing.assert_array_equal(loaded.valid_proba, multiclass_model.valid_proba)


def test_round_trip_keeps_threshold_and_positive_class(binary_model, tmp_path):
    path = tmp_path / "model.pt"
    path.write_bytes(model_to_bytes(binary_model))
    loaded = load_model(path)
    assert loaded.threshold == 0.4
    assert loaded.pos_label == "yes"
    assert loaded.classes_ == ["no", "yes"]


def test_predictions_use_original_labels(multiclass_model):
    result = multiclass_model.predict(read("23_model_roundtrip.csv"))
    assert set(result.frame["prediction"]) <= {"budget", "premium", "standard"}
    assert result.n_scored == 9
    columns = [c for c in result.frame if c.startswith("probability_")]
    assert columns == [
        "probability_budget",
        "probability_premium",
        "probability_standard",
    ]
    np.testing.assert_allclose(result.frame[columns].sum(axis=1), 1.0, rtol=1e-5)


def test_binary_prediction_applies_threshold(binary_model):
    frame = read("09_unseen_train.csv")
    result = binary_model.predict(frame, threshold=0.0)
    assert set(result.frame["prediction"]) == {"yes"}
    result = binary_model.predict(frame, threshold=1.0)
    proba = result.frame["probability_yes"]
    assert (result.frame["prediction"] == np.where(proba >= 1.0, "yes", "no")).all()


def test_unseen_rows_flagged_others_predicted(binary_model):
    result = binary_model.predict(read("09_unseen_predict.csv"))
    frame = result.frame
    assert result.n_scored == 1
    assert frame.loc[0, "prediction"] in {"yes", "no"}
    assert pd.isna(frame.loc[1, "prediction"])
    assert np.isnan(frame.loc[1, "probability_yes"])
    assert "device='tablet'" in frame.loc[1, "problem"]
    assert "tier='premium'" in frame.loc[2, "problem"]


def test_extra_columns_noted(binary_model):
    frame = read("09_unseen_train.csv").assign(note="x")
    result = binary_model.predict(frame)
    assert result.notes == ["ignored column(s) the model does not use: note"]


def test_missing_column_named(binary_model):
    frame = read("09_unseen_train.csv").drop(columns=["visits", "tier"])
    with pytest.raises(PredictionError, match="'tier', 'visits'"):
        binary_model.predict(frame)


class Payload:
    """An object whose unpickling writes a marker file."""

    def __reduce__(self):
        return (Path.write_text, (MARKER, "ran"))


def test_pickle_with_code_rejected_and_not_run(multiclass_model):
    MARKER.unlink(missing_ok=True)
    payload = model_to_dict(multiclass_model)
    payload["extra"] = Payload()
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    with pytest.raises(ModelFileError, match="could run code") as caught:
        load_model(buffer.getvalue())
    assert re.search("references the Python object '[^']+'", str(caught.value))
    assert not MARKER.exists()
    # The same bytes do run the payload when loaded unsafely, so the test
    # proves the rejection rather than a harmless file.
    torch.load(io.BytesIO(buffer.getvalue()), weights_only=False)
    assert MARKER.exists()
    MARKER.unlink()


def test_truncated_file_rejected(multiclass_model):
    data = model_to_bytes(multiclass_model)
    with pytest.raises(ModelFileError, match="truncated"):
        load_model(data[: len(data) // 2])


@pytest.mark.parametrize(
    "data",
    [b"\x89PNG\r\n\x1a\n" + b"\0" * 100, b"a,b\n1,2\n", pickle.dumps({"a": 1})],
)
def test_other_files_rejected(data):
    with pytest.raises(ModelFileError, match="not a PyTorch model file"):
        load_model(data)


def test_empty_file_rejected():
    with pytest.raises(ModelFileError, match="empty"):
        load_model(b"")


def test_other_torch_file_rejected():
    buffer = io.BytesIO()
    torch.save({"weight": torch.zeros(2)}, buffer)
    with pytest.raises(ModelFileError, match="not a Classifier Explorer model"):
        load_model(buffer.getvalue())


def test_newer_format_rejected(multiclass_model):
    payload = model_to_dict(multiclass_model)
    payload["format_version"] = FORMAT_VERSION + 1
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    with pytest.raises(ModelFileError, match="newer than this app"):
        load_model(buffer.getvalue())


def test_inconsistent_weights_rejected(multiclass_model):
    payload = model_to_dict(multiclass_model)
    payload["architecture"]["hidden_layers"] = [3]
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    with pytest.raises(ModelFileError, match="inconsistent"):
        load_model(buffer.getvalue())


def test_invalid_threshold_rejected(multiclass_model):
    with pytest.raises(PredictionError, match="invalid threshold 1.5"):
        multiclass_model.with_threshold(1.5)


def test_abstain_band_round_trip(binary_model):
    banded = binary_model.with_abstain_band((0.3, 0.7))
    payload = torch.load(io.BytesIO(model_to_bytes(banded)), weights_only=True)
    assert payload["abstain_band"] == [0.3, 0.7]
    assert payload["format_version"] == FORMAT_VERSION
    loaded = load_model(model_to_bytes(banded))
    assert loaded.abstain_band == (0.3, 0.7)
    assert loaded.threshold == 0.4
    frame = read("09_unseen_train.csv")
    pd.testing.assert_frame_equal(
        loaded.predict(frame).frame, banded.predict(frame).frame
    )


def test_band_rows_labelled_review(binary_model):
    frame = read("09_unseen_train.csv")
    proba = binary_model.predict(frame).frame["probability_yes"].to_numpy()
    # Edges at two of the rows' own probabilities: lower is inside the band,
    # upper outside it.
    lower, upper = np.quantile(proba, [0.25, 0.75], method="nearest")
    result = binary_model.with_abstain_band((float(lower), float(upper))).predict(frame)
    labels = result.frame["prediction"].to_numpy()
    expected = np.where(proba >= 0.4, "yes", "no").astype(object)
    in_band = (proba >= np.float32(lower)) & (proba < np.float32(upper))
    expected[in_band] = "review"
    np.testing.assert_array_equal(labels, expected)
    assert result.n_review == int(in_band.sum())
    assert labels[np.flatnonzero(proba == lower)[0]] == "review"
    assert labels[np.flatnonzero(proba == upper)[0]] != "review"


def test_old_file_without_band_loads(binary_model):
    payload = model_to_dict(binary_model)
    del payload["abstain_band"]
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    loaded = load_model(buffer.getvalue())
    assert loaded.abstain_band is None
    result = loaded.predict(read("09_unseen_train.csv"))
    assert "review" not in set(result.frame["prediction"])
    assert result.n_review == 0


@pytest.mark.parametrize(
    "band",
    [[0.7, 0.3], [-0.1, 0.5], [0.2, 1.5], [0.2, float("nan")], [0.5], ["a", "b"], 0.5],
)
def test_invalid_band_in_file_rejected(binary_model, band):
    payload = model_to_dict(binary_model)
    payload["abstain_band"] = band
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    with pytest.raises(ModelFileError, match="invalid abstain band"):
        load_model(buffer.getvalue())


def test_band_on_multiclass_rejected(multiclass_model):
    with pytest.raises(PredictionError, match="needs a binary model"):
        multiclass_model.with_abstain_band((0.4, 0.6))
    payload = model_to_dict(multiclass_model)
    payload["abstain_band"] = [0.4, 0.6]
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    with pytest.raises(ModelFileError, match="needs a binary model"):
        load_model(buffer.getvalue())


def test_inverted_band_rejected(binary_model):
    with pytest.raises(PredictionError, match="invalid abstain band"):
        binary_model.with_abstain_band((0.6, 0.4))


def test_band_with_class_named_review_rejected(binary_model):
    renamed = dataclasses.replace(binary_model, classes_=["no", "review"])
    with pytest.raises(PredictionError, match="a class is named 'review'"):
        renamed.with_abstain_band((0.4, 0.6))


def test_nan_weights_rejected(multiclass_model):
    payload = model_to_dict(multiclass_model)
    first = next(iter(payload["state_dict"]))
    payload["state_dict"][first] = torch.full_like(
        payload["state_dict"][first], float("nan")
    )
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    with pytest.raises(ModelFileError, match="not a finite tensor"):
        load_model(buffer.getvalue())


def test_huge_claimed_width_rejected_before_building(multiclass_model):
    payload = model_to_dict(multiclass_model)
    payload["architecture"]["n_features"] = 50_000_000
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    with pytest.raises(ModelFileError, match="weights have shapes"):
        load_model(buffer.getvalue())


@pytest.mark.parametrize("threshold", [2.0, -1.0, float("nan")])
def test_predict_rejects_invalid_threshold(binary_model, threshold):
    with pytest.raises(PredictionError, match="invalid threshold"):
        binary_model.predict(read("09_unseen_train.csv"), threshold=threshold)


def test_filled_values_noted(binary_model):
    frame = read("09_unseen_train.csv").drop(columns=["converted"]).head(4)
    frame["visits"] = np.nan
    frame.loc[0, "tier"] = None
    result = binary_model.predict(frame)
    visits = next(c for c in binary_model.encoder.columns_ if c.name == "visits")
    filled = next(n for n in result.notes if n.startswith("Missing values"))
    assert f"'visits' in 4 rows with {visits.fill:.4g}" in filled
    assert "'tier' in 1 row with" in filled
    assert any(n.startswith("'visits' has no value in any row") for n in result.notes)
    assert result.n_scored == 4


def test_rows_without_values_noted(binary_model):
    frame = pd.DataFrame(
        {
            "device": [None, "mobile"],
            "tier": [None, "low"],
            "visits": [np.nan, 3.0],
        }
    )
    result = binary_model.predict(frame)
    blank = "1 row has no value in any column the model uses"
    assert any(n.startswith(blank) for n in result.notes)


def test_complete_rows_get_no_fill_note(binary_model):
    frame = read("09_unseen_train.csv").drop(columns=["converted"])
    result = binary_model.predict(frame)
    assert not any(n.startswith("Missing values") for n in result.notes)


def test_predict_repeats_written_values(binary_model):
    data = b"id,device,tier,visits\n007,desktop,mid,06\n0123,mobile,low,1e1\n"
    table = read_csv(data, keep_text=True)
    result = binary_model.predict(table.frame, written=table.text)
    parsed = binary_model.predict(table.frame)
    assert result.frame["id"].tolist() == ["007", "0123"]
    assert result.frame["visits"].tolist() == ["06", "1e1"]
    # The model still encodes the parsed numbers.
    np.testing.assert_array_equal(
        result.frame["probability_yes"], parsed.frame["probability_yes"]
    )
    assert result.frame["prediction"].tolist() == parsed.frame["prediction"].tolist()


def test_predict_written_shape_checked(binary_model):
    frame = read("09_unseen_predict.csv")
    written = frame.astype(str)
    with pytest.raises(PredictionError, match="written values have 2 rows"):
        binary_model.predict(frame, written=written.iloc[:2])
    with pytest.raises(PredictionError, match="written values have columns"):
        binary_model.predict(frame, written=written.set_axis(["a", "b", "c"], axis=1))
