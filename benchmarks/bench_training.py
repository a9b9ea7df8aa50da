"""Time one training epoch of core.training against scikit-learn and PyTorch.

Peers, each run in turns with the product on the same rows:
- scikit-learn's MLPClassifier with the same layers, batch size, solver,
  learning rate and number of epochs (max_iter=1);
- a textbook PyTorch loop: TensorDataset + DataLoader(shuffle=True),
  zero_grad / backward / step with the optimizer's default flags, and a
  validation pass after the epoch, as tutorials write it.

The product runs with one torch thread (what the app's training job uses,
see core/job.py) and with two; the peers keep their default threads.

    .venv/bin/python benchmarks/bench_training.py [--quick]
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace

import _timing
import numpy as np
import pandas as pd
import torch
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from core.encoding import ColumnSpec, FeatureEncoder
from core.features import as_rows
from core.job import TrainingJob
from core.pipeline import fit_classifier, prepare_data
from core.training import TrainConfig, split_rows, train

HIDDEN = (64, 32)
LEARNING_RATE = {"sgd": 0.01, "adam": 0.001}
MOMENTUM = 0.9
DEFAULT_THREADS = torch.get_num_threads()


@dataclass
class Data:
    X_train: np.ndarray
    y_train: np.ndarray
    X_valid: np.ndarray
    y_valid: np.ndarray

    @property
    def n_features(self) -> int:
        return self.X_train.shape[1]


def make_data(n_train: int, n_valid: int, n_features: int = 30, seed: int = 0) -> Data:
    """Make a standardized binary problem that is not linearly separable."""
    X, y = make_classification(
        n_train + n_valid,
        n_features,
        n_informative=12,
        n_redundant=6,
        flip_y=0.02,
        random_state=seed,
    )
    X = ((X - X.mean(axis=0)) / X.std(axis=0)).astype(np.float32)
    return Data(X[:n_train], y[:n_train], X[n_train:], y[n_train:])


def config(
    solver: str, batch_size: int, epochs: int = 1, momentum: float = MOMENTUM
) -> TrainConfig:
    return TrainConfig(
        hidden_layers=HIDDEN,
        optimizer=solver,
        learning_rate=LEARNING_RATE[solver],
        momentum=momentum if solver == "sgd" else 0.0,
        batch_size=batch_size,
        epochs=epochs,
    )


def product_case(
    data: Data, settings: TrainConfig, threads: int, accuracy: list[float]
) -> Callable[[], None]:
    def run() -> None:
        torch.set_num_threads(threads)
        # A new seed per run, so the accuracies compare several runs.
        seeded = replace(settings, seed=len(accuracy))
        result = train(
            data.X_train, data.y_train, data.X_valid, data.y_valid, 2, seeded
        )
        accuracy.append(result.history[-1].valid_accuracy)

    return run


def sklearn_case(
    data: Data, solver: str, batch_size: int, accuracy: list[float]
) -> Callable[[], None]:
    def run() -> None:
        model = MLPClassifier(
            HIDDEN,
            solver=solver,
            alpha=0.0,  # the product has no weight penalty either
            batch_size=batch_size,
            learning_rate_init=LEARNING_RATE[solver],
            momentum=MOMENTUM,
            nesterovs_momentum=False,
            max_iter=1,
            shuffle=True,
            random_state=len(accuracy),
        )
        with warnings.catch_warnings():
            # One epoch is the point here, so "not converged" is expected.
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(data.X_train, data.y_train)
        accuracy.append(model.score(data.X_valid, data.y_valid))

    return run


def textbook_network(n_features: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(n_features, HIDDEN[0]),
        nn.ReLU(),
        nn.Linear(HIDDEN[0], HIDDEN[1]),
        nn.ReLU(),
        nn.Linear(HIDDEN[1], 1),
    )


def textbook_case(
    data: Data,
    solver: str,
    batch_size: int,
    accuracy: list[float],
    momentum: float = MOMENTUM,
) -> Callable[[], None]:
    X_train = torch.from_numpy(data.X_train)
    y_train = torch.from_numpy(data.y_train.astype(np.float32)).view(-1, 1)
    X_valid = torch.from_numpy(data.X_valid)
    y_valid = torch.from_numpy(data.y_valid.astype(np.float32)).view(-1, 1)

    def run() -> None:
        torch.set_num_threads(DEFAULT_THREADS)
        torch.manual_seed(len(accuracy))
        model = textbook_network(data.n_features)
        if solver == "adam":
            optimizer: torch.optim.Optimizer = torch.optim.Adam(
                model.parameters(), lr=LEARNING_RATE[solver]
            )
        else:
            optimizer = torch.optim.SGD(
                model.parameters(), lr=LEARNING_RATE[solver], momentum=momentum
            )
        loader = DataLoader(
            TensorDataset(X_train, y_train), batch_size=batch_size, shuffle=True
        )
        loss_fn = nn.BCEWithLogitsLoss()
        model.train()
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            logits = model(X_valid)
            float(loss_fn(logits, y_valid))
            accuracy.append(float(((logits >= 0).float() == y_valid).float().mean()))

    return run


def ratio_row(
    what: str,
    seconds: dict[str, list[float]],
    product: str,
    peer: str,
    target: float,
    accuracy: dict[str, list[float]] | None = None,
) -> _timing.Row:
    ratio = _timing.paired_ratio(seconds, product, peer)
    met = ratio <= target
    product_text = _timing.duration(_timing.median(seconds[product]))
    peer_text = _timing.duration(_timing.median(seconds[peer]))
    if accuracy is not None:
        # Shown for reference; accuracy_rows judges it over more seeds.
        mine, theirs = np.median(accuracy[product]), np.median(accuracy[peer])
        product_text += f", acc {mine:.4f}"
        peer_text += f", acc {theirs:.4f}"
    return _timing.Row(
        what, product_text, peer_text, f"{ratio:.2f}x", f"<= {target}x", met
    )


def epoch_rows(data: Data, batch_size: int, repeats: int) -> list[_timing.Row]:
    """Product at 1 and 2 threads against MLPClassifier and the textbook loop."""
    rows = []
    target = 0.7 if batch_size < 1024 else 0.35
    for solver in ("sgd", "adam"):
        settings = config(solver, batch_size)
        accuracy: dict[str, list[float]] = {
            k: [] for k in ("product-1", "product-2", "sklearn", "textbook")
        }
        cases = {
            "product-1": product_case(data, settings, 1, accuracy["product-1"]),
            "product-2": product_case(data, settings, 2, accuracy["product-2"]),
            "sklearn": sklearn_case(data, solver, batch_size, accuracy["sklearn"]),
            "textbook": textbook_case(data, solver, batch_size, accuracy["textbook"]),
        }
        seconds = _timing.interleaved(cases, repeats)
        size = f"{len(data.X_train) // 1000}k x {data.n_features}"
        for threads in (1, 2):
            name = f"product-{threads}"
            label = f"epoch {size}, batch {batch_size}, {solver}, {threads} thread"
            rows.append(
                ratio_row(
                    f"{label} vs MLPClassifier",
                    seconds,
                    name,
                    "sklearn",
                    target,
                    accuracy,
                )
            )
        for threads in (1, 2):
            name = f"product-{threads}"
            label = f"epoch {size}, batch {batch_size}, {solver}, {threads} thread"
            rows.append(
                ratio_row(
                    f"{label} vs DataLoader loop", seconds, name, "textbook", 0.35
                )
            )
    return rows


def accuracy_rows(data: Data, batch_size: int, n_seeds: int) -> list[_timing.Row]:
    """Compare validation accuracy after one epoch over many seeds.

    A median of the few timed runs differs between two runs of the same
    algorithm by more than the effect asked about, so each side trains
    `n_seeds` times (seeds 0, 1, ...) without timing. The product counts as
    not lower when its mean is at most two standard errors of the
    difference below the peer's (Welch's standard error).
    """
    rows = []
    for solver in ("sgd", "adam"):
        accuracy: dict[str, list[float]] = {"product": [], "sklearn": []}
        product = product_case(data, config(solver, batch_size), 1, accuracy["product"])
        peer = sklearn_case(data, solver, batch_size, accuracy["sklearn"])
        for _ in range(n_seeds):
            product()
            peer()
        mine, theirs = np.array(accuracy["product"]), np.array(accuracy["sklearn"])
        difference = mine.mean() - theirs.mean()
        error = float(
            np.sqrt(mine.var(ddof=1) / n_seeds + theirs.var(ddof=1) / n_seeds)
        )
        rows.append(
            _timing.Row(
                f"validation accuracy after 1 epoch, batch {batch_size}, {solver}, "
                f"{n_seeds} seeds",
                f"mean {mine.mean():.4f} (sd {mine.std(ddof=1):.4f})",
                f"mean {theirs.mean():.4f} (sd {theirs.std(ddof=1):.4f})",
                f"{difference:+.4f} (SE {error:.4f})",
                "not lower: difference >= -2 SE",
                bool(difference >= -2 * error),
            )
        )
    return rows


def batch_one_rows(data: Data, repeats: int) -> list[_timing.Row]:
    """Plain SGD, one row per step, against the textbook loop at batch 1."""
    settings = config("sgd", 1, momentum=0.0)
    accuracy: dict[str, list[float]] = {"product-1": [], "product-2": [], "peer": []}
    cases = {
        "product-1": product_case(data, settings, 1, accuracy["product-1"]),
        "product-2": product_case(data, settings, 2, accuracy["product-2"]),
        "peer": textbook_case(data, "sgd", 1, accuracy["peer"], momentum=0.0),
    }
    seconds = _timing.interleaved(cases, repeats)
    size = f"{len(data.X_train) // 1000}k x {data.n_features}"
    return [
        ratio_row(
            f"epoch {size}, batch 1 (plain SGD), {t} thread vs DataLoader loop",
            seconds,
            f"product-{t}",
            "peer",
            0.7,
        )
        for t in (1, 2)
    ]


def job_rows(data: Data, repeats: int, epochs: int) -> list[_timing.Row]:
    """The app's background job with a polling reader against the same work.

    fit_classifier() in the caller does what the job does (split, fit the
    encoder on the training rows, encode, train), so job / fit_classifier is
    what the thread and the polling add. train() on rows encoded beforehand
    leaves out the split and the encoding, which are timed alone too.
    """
    columns = [f"x{i}" for i in range(data.n_features)]
    X = np.vstack([data.X_train, data.X_valid])
    frame = pd.DataFrame(X, columns=columns)
    frame["label"] = np.concatenate([data.y_train, data.y_valid])
    specs = [ColumnSpec(c, "numeric") for c in columns]
    prepared = prepare_data(frame, "label", specs)
    share = len(data.X_valid) / len(X)
    settings = TrainConfig(
        **{**config("adam", 256, epochs).to_dict(), "validation_share": share}
    )

    def job() -> None:
        running = TrainingJob(prepared, settings)
        done = threading.Event()

        def poll() -> None:
            # What the live loss curve does: read the history every 0.5 s.
            while not done.wait(0.5):
                running.history()

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        running.start()
        running.join()
        done.set()
        poller.join()
        if running.error is not None:
            raise RuntimeError(str(running.error))

    def pipeline() -> None:
        torch.set_num_threads(1)
        fit_classifier(prepared, settings)

    def alone() -> None:
        torch.set_num_threads(1)
        train(data.X_train, data.y_train, data.X_valid, data.y_valid, 2, settings)

    def split_and_encode() -> None:
        # The steps of fit_classifier before train(), and the dense rows
        # train() makes of the encoded ones.
        y = prepared.target.y
        train_idx, valid_idx = split_rows(y, share, settings.seed)
        train_frame = prepared.frame.iloc[train_idx]
        encoder = FeatureEncoder.fit(train_frame, prepared.specs, prepared.missing)
        as_rows(encoder.encode(train_frame))
        as_rows(encoder.encode(prepared.frame.iloc[valid_idx], problems=[]))

    cases = {
        "job": job,
        "pipeline": pipeline,
        "train": alone,
        "split+encode": split_and_encode,
    }
    seconds = _timing.interleaved(cases, repeats)
    label = f"{epochs} epochs {len(X) // 1000}k rows, batch 256, adam"
    rows = [
        ratio_row(
            f"TrainingJob + poller, {label}, 1 thread vs fit_classifier() "
            "(split, encode, train) in the caller",
            seconds,
            "job",
            "pipeline",
            1.1,
        )
    ]
    for name, what in (
        ("job", "the same job vs train() on rows encoded beforehand"),
        ("split+encode", "split + encoder fit + encode alone vs that train()"),
    ):
        rows.append(
            _timing.Row(
                what,
                _timing.duration(_timing.median(seconds[name])),
                _timing.duration(_timing.median(seconds["train"])),
                f"{_timing.paired_ratio(seconds, name, 'train'):.2f}x",
                "-",
                None,
            )
        )
    return rows


def main() -> None:
    args = _timing.parse_args(__doc__.splitlines()[0])
    quick = args.quick
    repeats = args.repeats or (2 if quick else 7)
    n_train = 20_000 if quick else 100_000
    data = make_data(n_train, n_train // 5)
    small = make_data(2_000 if quick else 10_000, 2_000)
    rows = epoch_rows(data, 256, repeats)
    rows += epoch_rows(data, 4096, repeats)
    n_seeds = 3 if quick else 16
    rows += accuracy_rows(data, 256, n_seeds)
    rows += accuracy_rows(data, 4096, n_seeds)
    rows += batch_one_rows(small, repeats)
    rows += job_rows(data, repeats, epochs=2 if quick else 5)
    notes = [
        f"times: medians of {repeats} interleaved runs; ratio: median over the "
        "runs of product time / peer time in the same round",
        f"torch default threads here: {DEFAULT_THREADS}; the peers keep their "
        "defaults (scikit-learn uses numpy's OpenBLAS threads)",
        "acc: median validation accuracy after the epoch; each run uses another "
        "seed (0, 1, 2, ...) for the weights and the shuffling, on both sides. "
        "The accuracy rows judge it over more seeds, untimed",
    ]
    _timing.report("Training", rows, notes)


if __name__ == "__main__":
    main()
