"""Command line: train, evaluate and predict without the browser.

    python -m core train DATA.csv --target COL --out model.pt
    python -m core evaluate model.pt DATA.csv [--threshold T]
    python -m core predict model.pt NEW.csv --out predictions.csv

Every failure the user can fix exits with status 2 and one message line on
stderr; progress and results go to stdout.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

import numpy as np
import torch

from core.bundle import TrainedModel, load_model, save_model
from core.data import CSVTable, ReadLimits, read_csv
from core.encoding import ENCODINGS, ColumnSpec, MissingPolicy
from core.errors import ExplorerError
from core.features import Problem
from core.formulas import apply_threshold
from core.metrics import (
    NOTE_ABSENT,
    ThresholdTable,
    classification_report_frame,
    multiclass_metrics,
)
from core.pipeline import default_specs, fit_classifier, prepare_data
from core.profiles import profile_columns
from core.spreadsheet import to_safe_csv
from core.target import encode_model_labels
from core.training import EpochRecord, TrainConfig

logger = logging.getLogger(__name__)

EXIT_USAGE = 2


def _units(text: str) -> tuple[int, ...]:
    text = text.strip()
    if not text:
        return ()
    try:
        return tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"invalid hidden layers {text!r}; give units as comma-separated "
            "whole numbers, e.g. 64,32"
        ) from None


def _encoding_override(text: str) -> tuple[str, str, tuple[str, ...] | None]:
    name, sep, rest = text.partition("=")
    encoding, _, order = rest.partition(":")
    if not sep or encoding not in ENCODINGS:
        raise argparse.ArgumentTypeError(
            f"invalid --encode {text!r}; use COLUMN=ENCODING with ENCODING one of "
            + ", ".join(ENCODINGS)
            + " (ordinal may add :LOW,...,HIGH)"
        )
    levels = tuple(v.strip() for v in order.split(",")) if order else None
    return name, encoding, levels


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser of `python -m core`."""
    parser = argparse.ArgumentParser(
        prog="python -m core",
        description="Train, evaluate and apply Classifier Explorer models.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    _add_train(commands)
    evaluate = commands.add_parser(
        "evaluate", help="score a model file on a labelled CSV"
    )
    evaluate.add_argument("model", help="model file (.pt) saved by this app")
    evaluate.add_argument("data", help="CSV file that contains the target column")
    evaluate.add_argument(
        "--threshold",
        type=float,
        help="probability from 0 to 1 at or above which a row is positive "
        "(binary models; default: the threshold stored in the model)",
    )
    predict = commands.add_parser("predict", help="predict the rows of a new CSV")
    predict.add_argument("model", help="model file (.pt) saved by this app")
    predict.add_argument("data", help="CSV file with the model's feature columns")
    predict.add_argument("--out", required=True, help="output CSV path")
    predict.add_argument(
        "--threshold", type=float, help="binary decision threshold, 0 to 1"
    )
    return parser


def _add_train(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    train = commands.add_parser("train", help="train a model on a CSV file")
    train.add_argument("data", help="CSV file with a header row")
    train.add_argument("--target", required=True, help="name of the label column")
    train.add_argument("--out", required=True, help="path of the model file (.pt)")
    train.add_argument(
        "--pos-label",
        help="positive class of a two-class target (default: yes-like or minority)",
    )
    train.add_argument(
        "--encode",
        action="append",
        default=[],
        type=_encoding_override,
        metavar="COL=ENC",
        help="encoding of one column: numeric, ordinal[:LOW,...,HIGH], onehot or "
        "drop; repeat per column (default: the suggestion from the column profile)",
    )
    train.add_argument(
        "--missing",
        choices=("impute", "drop_rows"),
        default="impute",
        help="fill missing feature values (mean / most frequent) or drop their rows",
    )
    defaults = TrainConfig()
    train.add_argument(
        "--hidden",
        type=_units,
        default=defaults.hidden_layers,
        help="units per hidden layer, comma-separated (default: 16; '' for none)",
    )
    train.add_argument(
        "--activation",
        choices=("relu", "tanh", "sigmoid"),
        default="relu",
        help="activation after each hidden layer (default: relu)",
    )
    train.add_argument(
        "--optimizer",
        choices=("sgd", "adam"),
        default="adam",
        help="sgd (with --momentum) or adam (default: adam)",
    )
    train.add_argument(
        "--lr",
        type=float,
        default=defaults.learning_rate,
        help="learning rate (step size)",
    )
    train.add_argument(
        "--momentum", type=float, default=0.0, help="SGD momentum, 0 to <1"
    )
    train.add_argument(
        "--batch-size",
        type=int,
        default=defaults.batch_size,
        help="rows per gradient step; 1 is plain stochastic gradient descent",
    )
    train.add_argument(
        "--epochs",
        type=int,
        default=defaults.epochs,
        help="passes over the training rows",
    )
    train.add_argument(
        "--validation-share",
        type=float,
        default=defaults.validation_share,
        help="fraction of rows held out for validation (0 to 1)",
    )
    train.add_argument(
        "--seed",
        type=int,
        default=0,
        help="random seed for split, weights and shuffling",
    )
    train.add_argument(
        "--patience",
        type=int,
        default=0,
        help="stop after this many epochs without a lower validation loss (0: off)",
    )
    train.add_argument(
        "--threshold",
        type=float,
        default=0.5,
        help="decision threshold stored in the model (0 to 1)",
    )


def _check_output_path(path: str) -> None:
    """Raise ExplorerError unless a file can be written at `path`.

    Checked before any work, so a long training is not lost at the end.
    """
    target = Path(path)
    if target.is_dir():
        raise ExplorerError(f"--out {path!r} is a folder; give a file name")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise ExplorerError(
            f"--out {path!r}: the folder {str(folder)!r} does not exist; create "
            "it or choose another path"
        )
    if not os.access(folder, os.W_OK):
        raise ExplorerError(
            f"--out {path!r}: the folder {str(folder)!r} is not writable"
        )


def _check_train_options(args: argparse.Namespace) -> None:
    if not 0.0 <= args.threshold <= 1.0:
        raise ExplorerError(
            f"invalid --threshold {args.threshold!r}; use a probability from 0 to 1"
        )
    if args.patience < 0:
        raise ExplorerError(
            f"invalid --patience {args.patience!r}; use 0 (off) or a whole "
            "number of epochs"
        )
    if not 0 <= args.seed < 2**32:
        raise ExplorerError(f"invalid --seed {args.seed!r}; use 0 to {2**32 - 1}")
    if any(name == args.target for name, _, _ in args.encode):
        raise ExplorerError(
            f"--encode names the target {args.target!r}; the target is not a feature"
        )
    _check_output_path(args.out)


def _read_data(path: str, limits: ReadLimits, out: TextIO) -> CSVTable:
    """Read the CSV at `path` and write what was detected and noted."""
    table = read_csv(path, limits)
    out.write(f"read {path}: {table.describe()}\n")
    for note in table.notes:
        out.write(f"note: {note}\n")
    return table


def _train_command(args: argparse.Namespace, out: TextIO) -> int:
    _check_train_options(args)
    table = _read_data(args.data, ReadLimits(), out)
    profiles = profile_columns(table.frame, delimiter=table.delimiter)
    specs = default_specs(table.frame, args.target, profiles)
    overrides = {name: (enc, order) for name, enc, order in args.encode}
    unknown = [n for n in overrides if n not in table.frame.columns]
    if unknown:
        raise ExplorerError(
            f"--encode names column(s) not in the file: {', '.join(unknown)}"
        )
    specs = [
        ColumnSpec(s.name, overrides[s.name][0], overrides[s.name][1])
        if s.name in overrides
        else s
        for s in specs
    ]
    prepared = prepare_data(
        table.frame,
        args.target,
        specs,
        MissingPolicy(strategy=args.missing),
        args.pos_label,
    )
    for note in prepared.notes:
        out.write(f"note: {note}\n")
    config = TrainConfig(
        hidden_layers=args.hidden,
        activation=args.activation,
        optimizer=args.optimizer,
        learning_rate=args.lr,
        momentum=args.momentum,
        batch_size=args.batch_size,
        epochs=args.epochs,
        validation_share=args.validation_share,
        seed=args.seed,
        early_stopping=args.patience > 0,
        patience=max(args.patience, 1),
    )

    def report(record: EpochRecord) -> None:
        out.write(
            f"epoch {record.epoch:>4}/{config.epochs}  "
            f"train loss {record.train_loss:.4f}  "
            f"valid loss {record.valid_loss:.4f}  "
            f"valid accuracy {record.valid_accuracy:.3f}  "
            f"({record.dur * 1000:.0f} ms)\n"
        )
        out.flush()

    # Ctrl-C stops training like the app's Stop button: the model so far is kept.
    stop = threading.Event()
    in_main_thread = threading.current_thread() is threading.main_thread()
    if in_main_thread:
        previous = signal.signal(signal.SIGINT, lambda signum, frame: stop.set())
    try:
        model = fit_classifier(
            prepared, config, on_epoch=report, stop_event=stop, dataset_name=args.data
        )
    finally:
        if in_main_thread:
            signal.signal(signal.SIGINT, previous)
    model = model.with_threshold(args.threshold)
    if model.message:
        out.write(f"{model.status}: {model.message}\n")
    _write_scores(model, model.y_valid, model.valid_proba, out)
    save_model(model, args.out)
    out.write(f"saved model to {args.out}\n")
    return 0


def _write_scores(
    model: TrainedModel,
    y_true: np.ndarray,
    y_proba: np.ndarray,
    out: TextIO,
    source: str = "the validation split",
) -> None:
    if model.is_binary:
        metrics = ThresholdTable.from_scores(y_true, y_proba).at(model.threshold)
        out.write(
            f"threshold {model.threshold:.2f} (label {model.pos_label!r} when "
            f"p >= threshold): accuracy {metrics.accuracy:.3f}  "
            f"precision {metrics.precision:.3f}  recall {metrics.recall:.3f}  "
            f"f1 {metrics.f1:.3f}\n"
        )
        y_pred = apply_threshold(y_proba, model.threshold)
    else:
        summary = multiclass_metrics(y_true, y_proba, model.classes_)
        out.write(f"accuracy {summary.accuracy:.3f} (argmax of the softmax)\n")
        y_pred = summary.y_pred
    report = classification_report_frame(y_true, y_pred, model.classes_)
    # The rows scored here are the given file's, not a validation split.
    report["note"] = report["note"].str.replace(NOTE_ABSENT, f"absent from {source}")
    text = report.to_string(float_format=lambda v: f"{v:.3f}", na_rep="")
    out.write(text + "\n")


def _evaluate_command(args: argparse.Namespace, out: TextIO) -> int:
    model = load_model(args.model)
    if args.threshold is not None:
        model = model.with_threshold(args.threshold)
    # One labelled row is a valid file to score, as in `predict`.
    table = _read_data(args.data, ReadLimits(min_rows=1), out)
    frame = table.frame
    if model.target_name not in frame.columns:
        raise ExplorerError(
            f"the file has no target column {model.target_name!r}, so it cannot be "
            "scored; use `predict` for unlabelled files"
        )
    # A labelled file may hold only some of the model's classes, and its
    # labels are matched to the model's as in training (1.0 is "1", case and
    # surrounding spaces ignored).
    target = encode_model_labels(
        frame[model.target_name], model.classes_, model.pos_label
    )
    note = target.missing_note("scoring")
    if note:
        out.write(f"note: {note[0].upper()}{note[1:]}.\n")
    # Every row is encoded, so the row numbers in the problems are the
    # file's data rows. Problems of rows without a label are not shown.
    found: list[Problem] = []
    proba = model.predict_proba(frame, found)
    problems = [problem for problem in found if target.keep[problem.row - 1]]
    scored = target.keep.copy()
    for problem in problems:
        scored[problem.row - 1] = False
        out.write(f"skipped: {problem.message}\n")
    codes = np.full(len(frame), -1, dtype=np.int64)
    codes[target.keep] = target.y
    out.write(f"scored {int(scored.sum())} of {len(frame)} rows\n")
    if not scored.any():
        raise ExplorerError(
            "no row could be scored: every labelled row has a value the model "
            "cannot encode (listed above). Fix those values or score rows "
            "like the ones the model was trained on"
        )
    _write_scores(model, codes[scored], proba[scored], out, source="this file")
    return 0


def _predict_command(args: argparse.Namespace, out: TextIO) -> int:
    _check_output_path(args.out)
    model = load_model(args.model)
    # One new row is a valid file to score, unlike a training file. The
    # fields as written go to the output, so IDs such as 007 join back.
    table = read_csv(args.data, ReadLimits(min_rows=1), keep_text=True)
    out.write(f"read {args.data}: {table.describe()}\n")
    for note in table.notes:
        out.write(f"note: {note}\n")
    result = model.predict(table.frame, args.threshold, written=table.text)
    for note in result.notes:
        out.write(f"note: {note}\n")
    for problem in result.problems:
        out.write(f"not scored: {problem.message}\n")
    safe = to_safe_csv(result.frame)
    escape_note = safe.note()
    if escape_note:
        out.write(f"note: {escape_note}\n")
    with open(args.out, "wb") as handle:
        handle.write(safe.data)
    out.write(
        f"predicted {result.n_scored} of {len(result.frame)} rows -> {args.out}\n"
    )
    return 0


COMMANDS = {
    "train": _train_command,
    "evaluate": _evaluate_command,
    "predict": _predict_command,
}


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout) -> int:
    """Run one command; return the process exit status."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    torch.set_num_threads(1)
    try:
        return COMMANDS[args.command](args, out)
    except ExplorerError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return EXIT_USAGE
    except BrokenPipeError:
        # The reader of stdout went away (`... | head`); that is no error.
        # Pointing stdout at devnull stops Python from failing at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
