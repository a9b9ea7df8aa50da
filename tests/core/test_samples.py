"""Tests for core.samples: the bundled datasets read like uploads."""

import pandas as pd
import pytest

from core.data import read_csv
from core.errors import ExplorerError
from core.profiles import profile_columns
from core.samples import (
    SAMPLE_TARGETS,
    SAMPLES,
    STUDENT_ACCOMMODATIONS,
    STUDENT_GRADES,
    UnknownSampleError,
    make_students,
    sample_csv_bytes,
    sample_names,
)

EXPECTED = [
    ("breast_cancer", "diagnosis", {"benign": 357, "malignant": 212}, 31),
    ("penguins", "species", {"Adelie": 152, "Chinstrap": 68, "Gentoo": 124}, 8),
    ("students", "passed", None, 5),
]


def test_sample_names_match_descriptions():
    assert sample_names() == ["breast_cancer", "penguins", "students"]
    assert set(SAMPLES) == set(sample_names())
    assert set(SAMPLE_TARGETS) == set(sample_names())
    assert all(SAMPLES[name] for name in sample_names())


@pytest.mark.parametrize(("name", "target", "counts", "n_columns"), EXPECTED)
def test_sample_reads_and_profiles(name, target, counts, n_columns):
    content = sample_csv_bytes(name)
    table = read_csv(content, name=f"{name}.csv")
    assert table.encoding == "utf-8"
    assert table.delimiter == ","
    assert table.frame.shape[1] == n_columns
    assert SAMPLE_TARGETS[name] == target
    assert target in table.frame.columns
    profiles = profile_columns(table.frame)
    assert [profile.name for profile in profiles] == list(table.frame.columns)
    if counts is not None:
        assert table.frame[target].value_counts().to_dict() == counts
        assert len(table.frame) == sum(counts.values())


def test_breast_cancer_features_are_numeric():
    table = read_csv(sample_csv_bytes("breast_cancer"))
    profiles = profile_columns(table.frame.drop(columns="diagnosis"))
    assert len(profiles) == 30
    assert {profile.kind for profile in profiles} == {"numeric"}


def test_penguins_keep_missing_values_and_categories():
    table = read_csv(sample_csv_bytes("penguins"))
    frame = table.frame
    assert frame.shape == (344, 8)
    assert frame["sex"].isna().sum() == 11
    assert frame["bill_length_mm"].isna().sum() == 2
    by_name = {profile.name: profile for profile in profile_columns(frame)}
    assert by_name["island"].kind == "categorical"
    assert by_name["island"].categories == ["Biscoe", "Dream", "Torgersen"]
    assert by_name["sex"].kind == "categorical"
    assert by_name["sex"].suggested_encoding == "onehot"
    assert by_name["sex"].n_missing == 11
    assert by_name["species"].n_distinct == 3


def test_students_columns_and_profiles():
    table = read_csv(sample_csv_bytes("students"))
    frame = table.frame
    assert frame.shape == (400, 5)
    assert set(frame["passed"]) == {"yes", "no"}
    assert set(frame["previous_grade"]) == set(STUDENT_GRADES)
    assert set(frame["accommodation"]) == set(STUDENT_ACCOMMODATIONS)
    by_name = {profile.name: profile for profile in profile_columns(frame)}
    assert by_name["hours_studied"].kind == "numeric"
    assert by_name["absences"].kind == "numeric"
    assert by_name["previous_grade"].suggested_encoding == "ordinal"
    assert by_name["previous_grade"].suggested_order == ("F", "D", "C", "B", "A")
    assert by_name["accommodation"].suggested_encoding == "onehot"
    assert by_name["passed"].kind == "boolean"


def test_students_generator_is_deterministic():
    first = make_students()
    second = make_students()
    pd.testing.assert_frame_equal(first, second)
    assert not first.equals(make_students(seed=8))
    expected = first.to_csv(index=False).encode("utf-8")
    assert sample_csv_bytes("students") == expected


def test_students_pass_rate_follows_features():
    frame = make_students(n_samples=4000)
    passed = frame["passed"] == "yes"
    assert 0.3 < passed.mean() < 0.7
    by_grade = passed.groupby(frame["previous_grade"]).mean()
    assert by_grade["A"] > by_grade["C"] > by_grade["F"]
    many_hours = frame["hours_studied"] > frame["hours_studied"].median()
    assert passed[many_hours].mean() > passed[~many_hours].mean() + 0.2
    many_absences = frame["absences"] > frame["absences"].median()
    assert passed[many_absences].mean() < passed[~many_absences].mean()


def test_students_are_not_perfectly_separable():
    frame = make_students()
    passed = frame["passed"] == "yes"
    # Noise in the labels: every grade has students who pass and who fail.
    rates = passed.groupby(frame["previous_grade"]).mean()
    assert ((rates > 0) & (rates < 1)).all()


def test_unknown_sample_lists_known_names():
    with pytest.raises(
        UnknownSampleError, match="'iris'.*breast_cancer, penguins, students"
    ):
        sample_csv_bytes("iris")
    assert issubclass(UnknownSampleError, ExplorerError)
