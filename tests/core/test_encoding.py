import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from core.encoding import (
    MAX_ONEHOT_LEVELS,
    ColumnSpec,
    FeatureEncoder,
    MissingPolicy,
)
from core.errors import EncodingSpecError, PredictionError

DATA = Path(__file__).parents[1] / "data"


def read(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA / name)


def test_grades_ordinal_a_to_f_is_4_to_0():
    frame = pd.DataFrame({"grade": list("ABCDF")})
    encoder = FeatureEncoder.fit(
        frame, [ColumnSpec("grade", "ordinal", tuple("FDCBA"))]
    )
    assert encoder.transform(frame).ravel().tolist() == [4, 3, 2, 1, 0]


def test_onehot_predict_reindexed_to_training_columns():
    specs = [
        ColumnSpec("monthly_fee", "numeric", scale=False),
        ColumnSpec("plan", "onehot"),
        ColumnSpec("region", "onehot"),
    ]
    encoder = FeatureEncoder.fit(read("08_onehot_train.csv"), specs)
    assert encoder.feature_names_ == [
        "monthly_fee",
        "plan_basic",
        "plan_plus",
        "plan_pro",
        "region_north",
        "region_south",
    ]
    X = encoder.transform(read("08_onehot_predict.csv"))
    expected = [[10, 1, 0, 0, 1, 0], [35, 0, 0, 1, 1, 0], [12, 1, 0, 0, 1, 0]]
    assert X.tolist() == expected
    assert X.dtype == np.float32


def test_unseen_categories_named_per_row():
    specs = [
        ColumnSpec("device", "onehot"),
        ColumnSpec("tier", "ordinal", ("low", "mid", "high")),
        ColumnSpec("visits", "numeric"),
    ]
    encoder = FeatureEncoder.fit(read("09_unseen_train.csv"), specs)
    problems = []
    encoder.transform(read("09_unseen_predict.csv"), problems)
    assert [(p.row, p.column, p.value) for p in problems] == [
        (2, "device", "tablet"),
        (3, "tier", "premium"),
    ]
    assert "known: desktop, mobile" in problems[0].message
    assert "known order: low < mid < high" in problems[1].message


def test_unseen_category_raises_without_problem_list():
    encoder = FeatureEncoder.fit(
        read("09_unseen_train.csv"), [ColumnSpec("device", "onehot")]
    )
    with pytest.raises(PredictionError, match="device='tablet'"):
        encoder.transform(read("09_unseen_predict.csv"))


def test_missing_column_named():
    encoder = FeatureEncoder.fit(
        read("09_unseen_train.csv"), [ColumnSpec("visits", "numeric")]
    )
    with pytest.raises(PredictionError, match="'visits'"):
        encoder.transform(pd.DataFrame({"other": [1]}))


def test_matches_sklearn_column_transformer():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "x": rng.normal(5, 2, 200),
            "colour": rng.choice(["red", "green", "blue"], 200),
        }
    )
    frame.loc[::7, "x"] = np.nan
    frame.loc[::11, "colour"] = None
    specs = [ColumnSpec("x", "numeric"), ColumnSpec("colour", "onehot")]
    ours = FeatureEncoder.fit(frame, specs).transform(frame)
    reference = ColumnTransformer(
        [
            ("x", make_pipeline(SimpleImputer(), StandardScaler()), ["x"]),
            (
                "colour",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"),
                    OneHotEncoder(sparse_output=False),
                ),
                ["colour"],
            ),
        ]
    )
    colour = frame["colour"].astype(object).where(frame["colour"].notna(), np.nan)
    expected = reference.fit_transform(frame.assign(colour=colour))
    np.testing.assert_allclose(ours, expected, rtol=1e-6, atol=1e-6)


def test_round_trip_through_plain_data():
    specs = [
        ColumnSpec("device", "onehot"),
        ColumnSpec("tier", "ordinal", ("low", "mid", "high")),
        ColumnSpec("visits", "numeric"),
    ]
    train = read("09_unseen_train.csv")
    encoder = FeatureEncoder.fit(train, specs)
    plain = json.loads(json.dumps(encoder.to_dict()))
    again = FeatureEncoder.from_dict(plain)
    assert again.feature_names_ == encoder.feature_names_
    np.testing.assert_array_equal(again.transform(train), encoder.transform(train))


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        (MissingPolicy(numeric="mean"), 2.0),
        (MissingPolicy(numeric="median"), 1.0),
        (MissingPolicy(numeric="constant", fill_value=-1.0), -1.0),
    ],
)
def test_numeric_imputation(policy, expected):
    frame = pd.DataFrame({"x": [1.0, 1.0, 4.0, None]})
    encoder = FeatureEncoder.fit(
        frame, [ColumnSpec("x", "numeric", scale=False)], policy
    )
    assert encoder.transform(frame)[3, 0] == expected


def test_categorical_constant_fill_adds_missing_level():
    frame = pd.DataFrame({"c": ["a", None, "b"]})
    policy = MissingPolicy(categorical="constant")
    encoder = FeatureEncoder.fit(frame, [ColumnSpec("c", "onehot")], policy)
    assert "c_(missing)" in encoder.feature_names_


def test_drop_rows_policy_flags_missing_at_predict():
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0]})
    policy = MissingPolicy(strategy="drop_rows")
    encoder = FeatureEncoder.fit(frame, [ColumnSpec("x", "numeric")], policy)
    problems = []
    encoder.transform(pd.DataFrame({"x": [1.0, None]}), problems)
    assert [p.row for p in problems] == [2]


def test_numeric_with_text_rejected():
    frame = pd.DataFrame({"x": ["1", "2", "abc", "4"]})
    with pytest.raises(EncodingSpecError, match="'abc'.*data rows 3"):
        FeatureEncoder.fit(frame, [ColumnSpec("x", "numeric")])


def test_ordinal_order_missing_value_rejected():
    frame = pd.DataFrame({"tier": ["low", "mid", "premium"]})
    with pytest.raises(EncodingSpecError, match="'premium'.*not in the order"):
        FeatureEncoder.fit(frame, [ColumnSpec("tier", "ordinal", ("low", "mid"))])


def test_all_dropped_rejected():
    with pytest.raises(EncodingSpecError, match="every feature column"):
        FeatureEncoder.fit(pd.DataFrame({"x": [1]}), [ColumnSpec("x", "drop")])


def test_unknown_encoding_rejected():
    with pytest.raises(EncodingSpecError, match="invalid encoding 'label'"):
        FeatureEncoder.fit(pd.DataFrame({"x": [1]}), [ColumnSpec("x", "label")])


def test_all_missing_column_rejected():
    frame = pd.DataFrame({"x": [None, None], "y": [1, 2]})
    with pytest.raises(EncodingSpecError, match="'x' has no values"):
        FeatureEncoder.fit(frame, [ColumnSpec("x", "onehot")])


def test_onehot_capped_for_many_categories():
    frame = pd.DataFrame({"id": [f"user{i}" for i in range(10_000)]})
    encoder = FeatureEncoder.fit(frame, [ColumnSpec("id", "onehot")])
    assert encoder.n_features == MAX_ONEHOT_LEVELS + 1
    assert encoder.feature_names_[-1] == "id_(other)"
    X = encoder.transform(frame)
    assert X.sum(axis=1).tolist() == [1.0] * 10_000


def test_integer_and_float_levels_match():
    train = pd.DataFrame({"rooms": [1, 2, 3]})
    encoder = FeatureEncoder.fit(train, [ColumnSpec("rooms", "onehot")])
    with_gap = pd.DataFrame({"rooms": [1.0, None, 3.0]})
    X = encoder.transform(with_gap)
    assert X[0].tolist() == [1.0, 0.0, 0.0]
    assert X[2].tolist() == [0.0, 0.0, 1.0]


def test_most_frequent_fill_matches_simple_imputer_on_ties():
    frame = pd.DataFrame({"c": ["b", "a", "b", "a", None, "c"]})
    encoder = FeatureEncoder.fit(frame, [ColumnSpec("c", "onehot")])
    values = frame["c"].astype(object).where(frame["c"].notna(), np.nan)
    imputer = SimpleImputer(strategy="most_frequent").fit(values.to_frame())
    assert encoder.columns_[0].fill == imputer.statistics_[0] == "a"


def test_onehot_levels_match_sklearn_max_categories():
    counts = {f"v{i:03d}": 200 - i for i in range(150)}
    values = [v for v, n in counts.items() for _ in range(n)]
    frame = pd.DataFrame({"c": values})
    encoder = FeatureEncoder.fit(frame, [ColumnSpec("c", "onehot")])
    reference = OneHotEncoder(
        max_categories=MAX_ONEHOT_LEVELS + 1, handle_unknown="infrequent_if_exist"
    ).fit(frame.astype(object))
    infrequent = set(reference.infrequent_categories_[0])
    frequent = [c for c in reference.categories_[0] if c not in infrequent]
    assert encoder.columns_[0].categories == frequent
    assert encoder.columns_[0].other_level


def test_encoded_rows_equal_dense_matrix():
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=50),
            "c": rng.choice(list("abcde"), 50),
            "g": rng.choice(list("FDCBA"), 50),
        }
    )
    specs = [
        ColumnSpec("c", "onehot"),
        ColumnSpec("x", "numeric"),
        ColumnSpec("g", "ordinal", tuple("FDCBA")),
    ]
    encoder = FeatureEncoder.fit(frame, specs)
    encoded = encoder.encode(frame)
    dense = encoder.transform(frame)
    index = torch.tensor([3, 0, 49, 3])
    np.testing.assert_array_equal(encoded.rows(index).numpy(), dense[[3, 0, 49, 3]])
    assert encoded.nbytes < dense.nbytes
    assert dense[:, :5].sum(axis=1).tolist() == [1.0] * 50


def test_scaled_and_raw_numeric_columns_fit_separately():
    frame = pd.DataFrame({"a": [1.0, 2.0, None, 5.0], "b": [10.0, None, 30.0, 40.0]})
    specs = [ColumnSpec("a", "numeric", scale=False), ColumnSpec("b", "numeric")]
    encoder = FeatureEncoder.fit(frame, specs)
    a, b = encoder.columns_
    assert (a.fill, a.mean, a.std) == (pytest.approx(8 / 3), 0.0, 1.0)
    filled_b = np.array([10.0, 80 / 3, 30.0, 40.0])
    assert b.fill == pytest.approx(80 / 3)
    assert b.mean == pytest.approx(filled_b.mean())
    assert b.std == pytest.approx(filled_b.std())


def test_ordinal_without_order_ranks_numbers_by_value():
    frame = pd.DataFrame({"n": [1, 2, 10, 20, 3]})
    encoder = FeatureEncoder.fit(frame, [ColumnSpec("n", "ordinal")])
    assert encoder.columns_[0].categories == ["1", "2", "3", "10", "20"]
    assert encoder.transform(frame).ravel().tolist() == [0, 1, 3, 4, 2]
