"""Bundled sample datasets, as the CSV bytes that an upload would give.

Every sample comes from a package that is installed with the product or is
generated here, so nothing is downloaded.
"""

from __future__ import annotations

import functools
import logging

import numpy as np
import pandas as pd

from core.errors import ExplorerError

logger = logging.getLogger(__name__)

SAMPLES: dict[str, str] = {
    "breast_cancer": (
        "Breast cancer Wisconsin (diagnostic), from scikit-learn: 569 tumours "
        "with 30 numeric measurements. Target: diagnosis (malignant or benign)."
    ),
    "penguins": (
        "Palmer penguins, from the palmerpenguins package: 344 penguins with "
        "bill, flipper and body measurements, island, sex and study year, "
        "with some values missing. Target: species (Adelie, Chinstrap, Gentoo)."
    ),
    "students": (
        "Students (synthetic): 400 students with hours studied, absences, "
        "previous letter grade (ordinal) and accommodation (categorical). "
        "Target: passed (yes or no)."
    ),
}
# The column that each sample is meant to predict.
SAMPLE_TARGETS: dict[str, str] = {
    "breast_cancer": "diagnosis",
    "penguins": "species",
    "students": "passed",
}

STUDENT_GRADES = ("A", "B", "C", "D", "F")
STUDENT_ACCOMMODATIONS = ("dorm", "family", "shared_flat", "own_flat")


class UnknownSampleError(ExplorerError):
    """A sample dataset name that is not in `SAMPLES`."""


def sample_names() -> list[str]:
    """Return the names of the bundled sample datasets."""
    return list(SAMPLES)


@functools.cache
def sample_csv_bytes(name: str) -> bytes:
    """Build a sample dataset as UTF-8 CSV bytes.

    Parameters
    ----------
    name : str
        One of `sample_names()`.

    Returns
    -------
    bytes
        The CSV file, header row first, without an index column.

    Raises
    ------
    UnknownSampleError
        If `name` is not a sample dataset.
    """
    if name not in SAMPLES:
        raise UnknownSampleError(
            f"Unknown sample dataset {name!r}. Choose one of: "
            f"{', '.join(sample_names())}."
        )
    frame = _SAMPLE_FRAMES[name]()
    logger.info("Built sample %s with %d rows", name, len(frame))
    return frame.to_csv(index=False).encode("utf-8")


def _breast_cancer_frame() -> pd.DataFrame:
    from sklearn.datasets import load_breast_cancer

    bunch = load_breast_cancer(as_frame=True)
    frame = bunch.data.copy()
    names = np.asarray(bunch.target_names, dtype=str)
    frame["diagnosis"] = names[bunch.target.to_numpy()]
    return frame


def _penguins_frame() -> pd.DataFrame:
    import palmerpenguins

    return palmerpenguins.load_penguins()


def make_students(n_samples: int = 400, seed: int = 7) -> pd.DataFrame:
    """Generate the synthetic students dataset.

    A hidden ability score drives hours studied, absences and the previous
    grade, so the features are correlated. The chance of passing is a
    logistic function of the features: it rises with hours studied and the
    previous grade, falls with absences, and shifts a little with the
    accommodation. Each label is then drawn from that chance, so the
    classes overlap as real data do.

    Parameters
    ----------
    n_samples : int, optional
        Number of students (rows).
    seed : int, optional
        Seed of the random generator. The same seed gives the same frame.

    Returns
    -------
    pandas.DataFrame
        Columns hours_studied (float, hours per week), absences (int),
        previous_grade (A, B, C, D or F), accommodation (dorm, family, shared_flat,
        own_flat) and passed ("yes" or "no").
    """
    rng = np.random.default_rng(seed)
    ability = rng.normal(0.0, 1.0, n_samples)
    hours = np.clip(rng.gamma(4.0, 2.0, n_samples) + 1.5 * ability, 0.0, None)
    absences = rng.poisson(np.exp(1.3 - 0.3 * ability))
    # Grade points 4 (A) to 0 (F), driven by the same ability.
    points = np.clip(
        np.rint(2.0 + 1.1 * ability + rng.normal(0.0, 0.6, n_samples)), 0, 4
    )
    grades = np.array(STUDENT_GRADES)[(4 - points).astype(int)]
    accommodation = rng.choice(
        STUDENT_ACCOMMODATIONS, size=n_samples, p=[0.35, 0.25, 0.25, 0.15]
    )
    accommodation_effect = pd.Series(accommodation).map(
        {"dorm": 0.0, "family": 0.4, "shared_flat": -0.3, "own_flat": 0.2}
    )
    logit = (
        -2.6
        + 0.3 * hours
        - 0.3 * absences
        + 0.7 * points
        + accommodation_effect.to_numpy()
    )
    passed = rng.random(n_samples) < 1.0 / (1.0 + np.exp(-logit))
    return pd.DataFrame(
        {
            "hours_studied": np.round(hours, 1),
            "absences": absences.astype(int),
            "previous_grade": grades,
            "accommodation": accommodation,
            "passed": np.where(passed, "yes", "no"),
        }
    )


_SAMPLE_FRAMES = {
    "breast_cancer": _breast_cancer_frame,
    "penguins": _penguins_frame,
    "students": make_students,
}
