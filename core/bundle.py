"""The trained model, its file format, and prediction on new data.

A model file is one `torch.save` of a dict that holds only tensors,
lists, dicts, strings, numbers and booleans, so `torch.load(path,
weights_only=True)` opens it and loading never runs code from the file.
`load_model` accepts nothing else: a file whose pickle names any other
object is rejected before that object is built.
"""

from __future__ import annotations

import io
import logging
import os
import pickle
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import sklearn
import torch
from torch import nn

from core.encoding import FeatureEncoder, Problem
from core.errors import ExplorerError, ModelFileError, PredictionError
from core.formulas import apply_threshold
from core.network import build_network, output_units, predict_proba
from core.threshold_tools import REVIEW_LABEL, check_band
from core.training import EpochRecord, TrainConfig

logger = logging.getLogger(__name__)
# The text in which the weights-only unpickler of torch 2.13 names the
# global it refused.
_BLOCKED_GLOBAL = re.compile(r"unsupported (?:global: )?GLOBAL (\S+)", re.IGNORECASE)

FORMAT_NAME = "classifier-explorer-model"
FORMAT_VERSION = 1
APP_VERSION = "0.1.0"
MAX_MODEL_BYTES = 512 * 1024 * 1024


@dataclass
class PredictionResult:
    """Predictions for a new file.

    `frame` is the input with the model's columns appended: one probability
    column per output and "prediction" (the label in the original class
    names, or "review" for a row in the model's abstain band). Rows listed
    in `problems` get no prediction. `n_review` counts the scored rows sent
    to review.
    """

    frame: pd.DataFrame
    problems: list[Problem]
    notes: list[str]
    n_scored: int
    n_review: int = 0


@dataclass
class TrainedModel:
    """A trained network with everything prediction and evaluation need.

    `y_valid` contains the validation rows' class codes and `valid_proba` the
    network's probabilities for them: P(pos_label) of shape (n_valid,) for a
    binary model, softmax rows of shape (n_valid, K) otherwise. `threshold`
    turns a binary probability into the positive label with `>=`. A binary
    model may have an `abstain_band` (lower, upper): a row with
    lower <= p < upper is labelled "review" instead of a class.
    """

    network: nn.Sequential
    encoder: FeatureEncoder
    target_name: str
    classes_: list[str]
    pos_label: str | None
    config: TrainConfig
    history: list[EpochRecord]
    y_valid: np.ndarray
    valid_proba: np.ndarray
    status: str = "finished"
    message: str = ""
    dataset_name: str = ""
    threshold: float = 0.5
    versions: dict[str, str] = field(default_factory=dict)
    abstain_band: tuple[float, float] | None = None

    @property
    def is_binary(self) -> bool:
        """Whether the model has one sigmoid output for two classes."""
        return len(self.classes_) == 2

    @property
    def n_classes(self) -> int:
        """Number of classes K."""
        return len(self.classes_)

    def with_threshold(self, threshold: float) -> TrainedModel:
        """Return a copy whose decision threshold is `threshold`."""
        if not 0.0 <= float(threshold) <= 1.0:
            raise PredictionError(
                f"invalid threshold {threshold!r}; use a probability from 0 to 1"
            )
        return replace(self, threshold=float(threshold))

    def with_abstain_band(self, band: tuple[float, float] | None) -> TrainedModel:
        """Return a copy that sends rows with lower <= p < upper to review.

        Raises
        ------
        PredictionError
            If the band is not 0 <= lower <= upper <= 1, the model is not
            binary, or a class is named "review".
        """
        if band is None:
            return replace(self, abstain_band=None)
        lower, upper = (float(value) for value in band)
        try:
            check_band(lower, upper)
        except ExplorerError as exc:
            raise PredictionError(str(exc)) from exc
        if not self.is_binary:
            raise PredictionError(
                f"an abstain band needs a binary model; this one has "
                f"{self.n_classes} classes and labels each row by argmax"
            )
        if REVIEW_LABEL in self.classes_:
            raise PredictionError(
                f"a class is named {REVIEW_LABEL!r}, so rows sent to review "
                "could not be told apart from it; rename that class to use a "
                "review band"
            )
        return replace(self, abstain_band=(lower, upper))

    def valid_predictions(self, threshold: float | None = None) -> np.ndarray:
        """Return the predicted class codes of the validation rows."""
        if self.is_binary:
            t = self.threshold if threshold is None else threshold
            return apply_threshold(self.valid_proba, t)
        return np.argmax(self.valid_proba, axis=1)

    def validation_accuracy(self, threshold: float | None = None) -> float:
        """Return the share of validation rows predicted correctly."""
        if len(self.y_valid) == 0:
            return float("nan")
        return float(np.mean(self.valid_predictions(threshold) == self.y_valid))

    def predict_proba(
        self, frame: pd.DataFrame, problems: list[Problem] | None = None
    ) -> np.ndarray:
        """Encode `frame` with the fitted encoder and return probabilities."""
        return predict_proba(self.network, self.encoder.encode(frame, problems))

    def predict(
        self,
        frame: pd.DataFrame,
        threshold: float | None = None,
        written: pd.DataFrame | None = None,
    ) -> PredictionResult:
        """Predict every row of `frame` that the fitted encoding can place.

        Parameters
        ----------
        frame : pandas.DataFrame
            The rows to encode and score.
        threshold : float, optional
            Decision threshold for a binary model. Defaults to the model's.
        written : pandas.DataFrame, optional
            The same rows as written in the file, such as `CSVTable.text`
            from ``read_csv(..., keep_text=True)``. When given, the output
            repeats these instead of `frame`'s parsed values, so "007"
            stays "007" and long IDs keep every digit.

        Raises
        ------
        PredictionError
            If `frame` lacks a column the model was trained on,
            `threshold` is not a probability from 0 to 1, or `written`
            does not have the shape and columns of `frame`.
        """
        if threshold is None:
            threshold = self.threshold
        else:
            threshold = self.with_threshold(threshold).threshold
        if written is not None:
            _check_written(frame, written)
        problems: list[Problem] = []
        proba = self.predict_proba(frame, problems)
        bad = np.zeros(len(frame), dtype=bool)
        for problem in problems:
            bad[problem.row - 1] = True
        repeated = frame if written is None else written
        out = repeated.reset_index(drop=True).copy()
        review = np.zeros(len(frame), dtype=bool)
        if self.is_binary:
            codes = apply_threshold(proba, threshold)
            out[f"probability_{self.pos_label}"] = np.where(bad, np.nan, proba)
            review = self._in_band(proba) & ~bad
        else:
            codes = np.argmax(proba, axis=1)
            for k, name in enumerate(self.classes_):
                out[f"probability_{name}"] = np.where(bad, np.nan, proba[:, k])
        labels = np.asarray(self.classes_, dtype=object)[codes]
        labels[review] = REVIEW_LABEL
        out["prediction"] = np.where(bad, None, labels)
        out["problem"] = _problem_column(problems, len(frame))
        return PredictionResult(
            out,
            problems,
            self._extra_notes(frame) + self._filled_notes(frame),
            int((~bad).sum()),
            int(review.sum()),
        )

    def _in_band(self, proba: np.ndarray) -> np.ndarray:
        if self.abstain_band is None:
            return np.zeros(len(proba), dtype=bool)
        # Cast the edges to the probabilities' dtype, as apply_threshold
        # does, so a float32 p equal to an edge falls on the same side.
        cast = proba.dtype.type
        lower, upper = (cast(edge) for edge in self.abstain_band)
        return (proba >= lower) & (proba < upper)

    def _extra_notes(self, frame: pd.DataFrame) -> list[str]:
        known = set(self.encoder.input_columns_) | {self.target_name}
        extra = [str(c) for c in frame.columns if c not in known]
        if not extra:
            return []
        return ["ignored column(s) the model does not use: " + ", ".join(extra)]

    def _filled_notes(self, frame: pd.DataFrame) -> list[str]:
        """Describe the missing values that were filled in as in training."""
        columns = [
            c
            for c in self.encoder.columns_
            if c.fill is not None and c.name in frame.columns
        ]
        if not columns or frame.empty:
            return []

        missing = frame[[c.name for c in columns]].isna()
        parts = []
        for column in columns:
            n_missing = int(missing[column.name].sum())
            if n_missing:
                fill = column.fill
                fill_text = f"{fill:.4g}" if isinstance(fill, float) else repr(fill)
                parts.append(f"{column.name!r} in {_rows(n_missing)} with {fill_text}")
        if not parts:
            return []

        notes = [
            "Missing values were filled in with the values learned from the "
            f"training rows: {'; '.join(parts)}."
        ]

        empty = [c.name for c in columns if missing[c.name].all()]
        if empty:
            names = ", ".join(repr(name) for name in empty)
            verb = "has" if len(empty) == 1 else "have"
            notes.append(
                f"{names} {verb} no value in any row, so every row gets the same "
                "fill value there and the predictions rest on the other columns."
            )

        n_blank = int(missing.all(axis=1).sum())
        if n_blank and len(columns) == len(self.encoder.columns_) and len(columns) > 1:
            verb = "has" if n_blank == 1 else "have"
            notes.append(
                f"{_rows(n_blank)} {verb} no value in any column the model uses, so "
                "their probability comes from fill values alone."
            )
        return notes


def _rows(n: int) -> str:
    return "1 row" if n == 1 else f"{n:,} rows"


def _check_written(frame: pd.DataFrame, written: pd.DataFrame) -> None:
    """Raise unless `written` has the rows and columns of `frame`."""
    if written.shape != frame.shape:
        raise PredictionError(
            f"the written values have {written.shape[0]:,} rows x "
            f"{written.shape[1]:,} columns but the data has {frame.shape[0]:,} x "
            f"{frame.shape[1]:,}; pass the CSVTable.text read with the frame"
        )
    if list(written.columns) != list(frame.columns):
        raise PredictionError(
            f"the written values have columns {list(written.columns)} but the "
            f"data has {list(frame.columns)}; pass the CSVTable.text read with "
            "the frame"
        )


def _problem_column(problems: list[Problem], n_rows: int) -> list[str]:
    messages = [""] * n_rows
    for problem in problems:
        i = problem.row - 1
        messages[i] = (
            problem.message if not messages[i] else f"{messages[i]}; {problem.message}"
        )
    return messages


def library_versions() -> dict[str, str]:
    """Return the versions of the libraries that shape a model's numbers."""
    return {
        "app": APP_VERSION,
        # str(): torch.__version__ is a TorchVersion, which a weights-only
        # load rejects.
        "torch": str(torch.__version__),
        "scikit-learn": str(sklearn.__version__),
        "pandas": str(pd.__version__),
        "numpy": str(np.__version__),
    }


def model_to_dict(model: TrainedModel) -> dict[str, Any]:
    """Return the model as the plain dict that a model file stores."""
    first = model.network[0]
    n_features = first.in_features if isinstance(first, nn.Linear) else 0
    return {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "state_dict": {
            k: v.detach().clone() for k, v in model.network.state_dict().items()
        },
        "architecture": {
            "n_features": int(n_features),
            "n_outputs": output_units(model.n_classes),
            "hidden_layers": list(model.config.hidden_layers),
            "activation": model.config.activation,
        },
        "encoder": model.encoder.to_dict(),
        "feature_names": list(model.encoder.feature_names_),
        "target": {
            "name": model.target_name,
            "classes": list(model.classes_),
            "pos_label": model.pos_label,
        },
        "threshold": float(model.threshold),
        "abstain_band": (
            None if model.abstain_band is None else list(model.abstain_band)
        ),
        "config": model.config.to_dict(),
        "history": [_record_dict(r) for r in model.history],
        "validation": {
            "y_true": torch.from_numpy(np.asarray(model.y_valid, dtype=np.int64)),
            "y_proba": torch.from_numpy(
                np.asarray(model.valid_proba, dtype=np.float32)
            ),
            "accuracy": model.validation_accuracy(),
        },
        "status": model.status,
        "message": model.message,
        "dataset_name": model.dataset_name,
        "versions": model.versions or library_versions(),
        "saved_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _record_dict(record: EpochRecord) -> dict[str, float | int]:
    return {
        "epoch": int(record.epoch),
        "train_loss": float(record.train_loss),
        "valid_loss": float(record.valid_loss),
        "valid_accuracy": float(record.valid_accuracy),
        "dur": float(record.dur),
    }


def model_to_bytes(model: TrainedModel) -> bytes:
    """Serialize `model` to the bytes of a `.pt` model file."""
    buffer = io.BytesIO()
    torch.save(model_to_dict(model), buffer)
    return buffer.getvalue()


def save_model(model: TrainedModel, path: str | os.PathLike[str]) -> None:
    """Write `model` to a `.pt` file at `path`."""
    with open(path, "wb") as handle:
        handle.write(model_to_bytes(model))
    logger.info("saved model to %s", path)


def load_model(source: bytes | str | os.PathLike[str]) -> TrainedModel:
    """Load a model file with `torch.load(weights_only=True)` and check it.

    Parameters
    ----------
    source : bytes or path
        The file's contents or its path.

    Returns
    -------
    TrainedModel

    Raises
    ------
    ModelFileError
        If the file is not a model file of this app, needs objects other
        than tensors and plain data, is truncated, or has a newer format.
    """
    data = _read_source(source)
    payload = _safe_load(data)
    _check_payload(payload)
    try:
        return _model_from_payload(payload)
    except ExplorerError as exc:
        raise ModelFileError(f"the model file is inconsistent: {exc}") from exc
    except (KeyError, TypeError, ValueError, RuntimeError, IndexError) as exc:
        raise ModelFileError(
            f"the model file is inconsistent ({type(exc).__name__}: {exc}); "
            "train and save the model again"
        ) from exc


def _read_source(source: bytes | str | os.PathLike[str]) -> bytes:
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
    else:
        try:
            with open(source, "rb") as handle:
                data = handle.read(MAX_MODEL_BYTES + 1)
        except OSError as exc:
            raise ModelFileError(
                f"cannot read model file {source!s}: {exc.strerror}"
            ) from exc
    if not data:
        raise ModelFileError(
            "the model file is empty (0 bytes); choose a .pt file saved by this app"
        )
    if len(data) > MAX_MODEL_BYTES:
        raise ModelFileError(
            f"the model file is larger than {MAX_MODEL_BYTES // 2**20} MB; "
            "this app's model files are far smaller, so it is not one of them"
        )
    return data


def _safe_load(data: bytes) -> Any:
    # torch.save writes a zip archive; anything else would go to the
    # legacy unpickler, which fails on garbage in unpredictable ways.
    if not data.startswith(b"PK\x03\x04"):
        raise ModelFileError(
            "the file is not a PyTorch model file (it does not start like the zip "
            "archive torch.save writes); choose a .pt file downloaded from this app"
        )
    try:
        return torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        blocked = _BLOCKED_GLOBAL.search(str(exc))
        # Only the blocked name is logged: torch's message goes on to suggest
        # weights_only=False, the unsafe load this function exists to avoid.
        what = (
            f"the Python object {blocked.group(1)!r}" if blocked else "Python objects"
        )
        logger.warning("rejected model file: it references %s", what)
        raise ModelFileError(
            f"the model file was rejected: it references {what}, not only "
            "tensors and plain data, and loading that could run code. Only "
            "model files saved by Classifier Explorer can be loaded"
        ) from exc
    except Exception as exc:  # noqa: BLE001 - any parse failure of untrusted bytes
        raise ModelFileError(
            "the file is not a readable model file (it may be truncated or come "
            f"from another program: {type(exc).__name__}); choose a .pt file "
            "downloaded from this app"
        ) from exc


def _check_payload(payload: Any) -> None:
    if not isinstance(payload, dict) or payload.get("format") != FORMAT_NAME:
        raise ModelFileError(
            "the file is a PyTorch file but not a Classifier Explorer model "
            "(no 'format' entry); choose a .pt file downloaded from this app"
        )
    version = payload.get("format_version")
    if not isinstance(version, int):
        raise ModelFileError(
            f"the model file has an invalid format version {version!r}"
        )
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"the model file has format version {version}, newer than this app "
            f"reads ({FORMAT_VERSION}); update Classifier Explorer to load it"
        )
    required = (
        "state_dict",
        "architecture",
        "encoder",
        "target",
        "threshold",
        "config",
    )
    absent = [k for k in required if k not in payload]
    if absent:
        raise ModelFileError("the model file lacks the entries " + ", ".join(absent))


def _check_weights(arch: dict[str, Any], state_dict: dict[str, Any]) -> None:
    # Compare shapes before building the network, so a tiny file that claims
    # 50 million inputs cannot make the loader allocate gigabytes.
    widths = [int(arch["n_features"]), *map(int, arch["hidden_layers"])]
    widths.append(int(arch["n_outputs"]))
    weights = [v for k, v in state_dict.items() if k.endswith(".weight")]
    expected = [(out, inp) for inp, out in zip(widths[:-1], widths[1:], strict=True)]
    found = [tuple(w.shape) for w in weights if isinstance(w, torch.Tensor)]
    if found != expected:
        raise ModelFileError(
            f"the model file's weights have shapes {found}, but its architecture "
            f"needs {expected}; the file is damaged, so train and save the model again"
        )
    for name, tensor in state_dict.items():
        if not isinstance(tensor, torch.Tensor) or not torch.isfinite(tensor).all():
            raise ModelFileError(
                f"the model file's weight {name!r} is not a finite tensor (NaN or "
                "inf); such a network predicts nothing useful, so train again "
                "with a smaller learning rate"
            )


def _model_from_payload(payload: dict[str, Any]) -> TrainedModel:
    arch = payload["architecture"]
    _check_weights(arch, payload["state_dict"])
    network = build_network(
        int(arch["n_features"]),
        int(arch["n_outputs"]),
        tuple(int(u) for u in arch["hidden_layers"]),
        str(arch["activation"]),
    )
    network.load_state_dict(payload["state_dict"], strict=True)
    network.eval()
    encoder = FeatureEncoder.from_dict(payload["encoder"])
    if encoder.n_features != int(arch["n_features"]):
        raise ModelFileError(
            f"the encoder makes {encoder.n_features} features but the network "
            f"expects {arch['n_features']}"
        )
    target = payload["target"]
    classes = [str(c) for c in target["classes"]]
    if output_units(len(classes)) != int(arch["n_outputs"]):
        raise ModelFileError(
            f"{len(classes)} classes do not fit a network with "
            f"{arch['n_outputs']} outputs"
        )
    validation = payload.get("validation", {})
    y_valid = _array(validation.get("y_true"), np.int64)
    valid_proba = _array(validation.get("y_proba"), np.float32)
    model = TrainedModel(
        network=network,
        encoder=encoder,
        target_name=str(target["name"]),
        classes_=classes,
        pos_label=None if target.get("pos_label") is None else str(target["pos_label"]),
        config=TrainConfig.from_dict(payload["config"]),
        history=[EpochRecord(**r) for r in payload.get("history", [])],
        y_valid=y_valid,
        valid_proba=valid_proba,
        status=str(payload.get("status", "finished")),
        message=str(payload.get("message", "")),
        dataset_name=str(payload.get("dataset_name", "")),
        threshold=_threshold(payload["threshold"]),
        versions={str(k): str(v) for k, v in payload.get("versions", {}).items()},
    )
    # Files written before the band existed have no entry, which means no band.
    # with_abstain_band rejects a band on a multiclass model.
    return model.with_abstain_band(_abstain_band(payload.get("abstain_band")))


def _array(value: Any, dtype: npt.DTypeLike) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        return value.numpy().astype(dtype, copy=False)
    return np.zeros(0, dtype=dtype)


def _threshold(value: Any) -> float:
    threshold = float(value)
    if not 0.0 <= threshold <= 1.0:
        raise ModelFileError(f"the model file has an invalid threshold {value!r}")
    return threshold


def _abstain_band(value: Any) -> tuple[float, float] | None:
    if value is None:
        return None
    invalid = ModelFileError(
        f"invalid abstain band {value!r}; it must be "
        "[lower, upper] with 0 <= lower <= upper <= 1, or absent"
    )
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise invalid
    if any(
        isinstance(edge, bool) or not isinstance(edge, int | float) for edge in value
    ):
        raise invalid
    lower, upper = float(value[0]), float(value[1])
    # Comparisons with NaN are False, so NaN edges are rejected here too.
    if not 0.0 <= lower <= upper <= 1.0:
        raise invalid
    return (lower, upper)
