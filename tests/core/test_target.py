from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.errors import TargetError
from core.target import encode_model_labels, encode_target, target_candidates

DATA = Path(__file__).parents[1] / "data"


def read(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA / name)


def test_labels_1_2_map_to_0_1():
    encoded = encode_target(read("11_labels_1_2.csv")["grade"])
    assert encoded.classes_ == ["1", "2"]
    assert encoded.pos_label == "2"
    assert encoded.y.tolist() == [0, 0, 0, 0, 1, 1, 1, 1]


def test_labels_1_2_3_give_three_classes():
    encoded = encode_target(read("11_labels_1_2_3.csv")["grade"])
    assert encoded.classes_ == ["1", "2", "3"]
    assert encoded.n_classes == 3
    assert encoded.pos_label is None
    assert set(encoded.y.tolist()) == {0, 1, 2}


def test_yes_no_defaults_to_yes_positive():
    encoded = encode_target(read("12_yes_no_target.csv")["subscribed"])
    assert encoded.classes_ == ["no", "yes"]
    assert encoded.pos_label == "yes"


def test_pos_label_can_be_chosen():
    encoded = encode_target(read("12_yes_no_target.csv")["subscribed"], "no")
    assert encoded.classes_ == ["yes", "no"]
    labels = read("12_yes_no_target.csv")["subscribed"]
    assert encoded.y.tolist() == (labels == "no").astype(int).tolist()


def test_bool_target_becomes_true_false():
    frame = read("12_true_false_target.csv")
    assert frame["defaulted"].dtype == bool
    encoded = encode_target(frame["defaulted"])
    assert encoded.classes_ == ["False", "True"]
    assert encoded.pos_label == "True"
    assert encoded.y.tolist() == frame["defaulted"].astype(int).tolist()


def test_missing_target_rows_excluded_and_named():
    encoded = encode_target(read("13_nan_target.csv")["churned"])
    assert encoded.classes_ == ["no", "yes"]
    assert len(encoded.y) == 8
    assert encoded.missing_rows == [4, 7]
    assert "2 rows have no target value (data rows 4 and 7)" in encoded.missing_note()


@pytest.mark.parametrize(
    ("values", "classes"),
    [
        ([0.0, 1.0, 2.0, 1.0], ["0", "1", "2"]),
        ([10, 2, 1, 2], ["1", "2", "10"]),
        (["b", "a", "c"], ["a", "b", "c"]),
    ],
)
def test_classes_sorted_by_value(values, classes):
    assert encode_target(pd.Series(values, name="t")).classes_ == classes


def test_zero_one_target_keeps_codes():
    encoded = encode_target(pd.Series([0, 1, 1, 0], name="t"))
    assert encoded.classes_ == ["0", "1"]
    assert encoded.y.tolist() == [0, 1, 1, 0]


def test_minority_is_default_positive():
    classes, default = target_candidates(pd.Series(["cat"] * 5 + ["dog"] * 2))
    assert classes == ["cat", "dog"]
    assert default == "dog"


def test_single_class_rejected():
    with pytest.raises(TargetError, match="only one class \\('yes'\\)"):
        encode_target(pd.Series(["yes"] * 5, name="bought"))


def test_many_classes_rejected():
    with pytest.raises(TargetError, match="500 distinct values"):
        encode_target(pd.Series(np.arange(500), name="price"))


def test_unknown_pos_label_rejected():
    with pytest.raises(TargetError, match="positive class 'maybe'"):
        encode_target(pd.Series(["yes", "no"], name="t"), "maybe")


def test_mapping_frame_counts_rows():
    encoded = encode_target(pd.Series(["a", "a", "b"], name="t"))
    table = encoded.mapping_frame()
    assert table["label"].tolist() == ["a", "b"]
    assert table["rows"].tolist() == [2, 1]
    assert table["role"].tolist() == ["negative", "positive"]


def test_model_labels_use_model_codes():
    series = pd.Series(["yes", " Yes", None, "no", "YES "], name="y")
    encoded = encode_model_labels(series, ["no", "yes"], "yes")
    assert encoded.classes_ == ["no", "yes"]
    assert encoded.y.tolist() == [1, 1, 0, 1]
    assert encoded.missing_rows == [3]
    assert encoded.pos_label == "yes"


def test_model_labels_accept_one_class():
    series = pd.Series([2.0, 2.0, 2.0], name="grade")
    encoded = encode_model_labels(series, ["1", "2", "3"])
    assert encoded.y.tolist() == [1, 1, 1]
    assert encoded.pos_label is None


def test_model_labels_name_unknown():
    series = pd.Series(["a", "b", "zzz"], name="y")
    with pytest.raises(TargetError, match="not trained on: 'zzz'"):
        encode_model_labels(series, ["a", "b"])


def test_model_labels_reject_empty_column():
    series = pd.Series([None, np.nan], name="y", dtype=object)
    with pytest.raises(TargetError, match="has no values"):
        encode_model_labels(series, ["a", "b"])
