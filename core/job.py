"""A training run in a background thread that a UI can poll.

The thread appends each EpochRecord to a list under a lock; readers get a
copy, so a page can redraw the loss curve while training goes on. Stopping
sets an event that the training loop checks after every batch.
"""

from __future__ import annotations

import logging
import threading
import time

import torch

from core.bundle import TrainedModel
from core.errors import ExplorerError
from core.pipeline import PreparedData, fit_classifier
from core.training import EpochRecord, TrainConfig

logger = logging.getLogger(__name__)

# A job trains with one torch thread, which leaves the other core to the web
# server and other sessions. torch.set_num_threads sets the OpenMP and MKL
# thread counts of the calling thread (torch 2.13 with OpenMP), and the
# default of threads that have not run torch yet. On 2 cores, one thread was
# as fast as two for batches up to 1024 rows. At 4096 rows two threads in
# the main thread trained an epoch 1.4-1.6x faster, but in a job thread, with
# another process busy, the first epoch with two threads took 2.5 s instead
# of 50 ms and the later ones stayed slower than with one, so jobs keep one.
TORCH_THREADS = 1

RUNNING = "running"
FAILED = "failed"


class TrainingJob:
    """Train one model in a daemon thread; every public method is thread-safe.

    `status` is "pending" before `start`, "running" while the thread
    trains, then the model's status ("finished", "early_stopped",
    "stopped", "diverged") or "failed" with `error` set.
    """

    def __init__(
        self, prepared: PreparedData, config: TrainConfig, dataset_name: str = ""
    ):
        self.prepared = prepared
        self.config = config
        self.dataset_name = dataset_name
        self.total_epochs = config.epochs
        self._lock = threading.Lock()
        self._history: list[EpochRecord] = []
        self._status = "pending"
        self._model: TrainedModel | None = None
        self._error: ExplorerError | None = None
        self._stop = threading.Event()
        self._started_at = 0.0
        self._ended_at = 0.0
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> TrainingJob:
        """Start training in the background and return self."""
        with self._lock:
            self._status = RUNNING
            self._started_at = time.monotonic()
        self._thread.start()
        return self

    def stop(self) -> None:
        """Ask training to end after the current batch; the model is kept."""
        self._stop.set()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread to end; return whether it has ended."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def status(self) -> str:
        """The run's state: pending, running, or how it ended."""
        with self._lock:
            return self._status

    @property
    def is_running(self) -> bool:
        """Whether the thread is still training."""
        return self.status == RUNNING

    @property
    def error(self) -> ExplorerError | None:
        """The error that ended a failed run."""
        with self._lock:
            return self._error

    @property
    def model(self) -> TrainedModel | None:
        """The trained model once the run has ended without failing."""
        with self._lock:
            return self._model

    def history(self) -> list[EpochRecord]:
        """Return a copy of the epochs recorded so far."""
        with self._lock:
            return list(self._history)

    @property
    def epochs_done(self) -> int:
        """Number of completed epochs."""
        with self._lock:
            return len(self._history)

    def elapsed_seconds(self) -> float:
        """Seconds since start, up to the end of the run."""
        with self._lock:
            if not self._started_at:
                return 0.0
            end = self._ended_at or time.monotonic()
            return end - self._started_at

    def eta_seconds(self) -> float | None:
        """Estimate the seconds left from the mean epoch time so far."""
        done = self.epochs_done
        if done == 0 or not self.is_running:
            return None
        return self.elapsed_seconds() / done * (self.total_epochs - done)

    def _record(self, record: EpochRecord) -> None:
        with self._lock:
            self._history.append(record)

    def _run(self) -> None:
        torch.set_num_threads(TORCH_THREADS)
        try:
            model = fit_classifier(
                self.prepared,
                self.config,
                on_epoch=self._record,
                stop_event=self._stop,
                dataset_name=self.dataset_name,
            )
        except ExplorerError as exc:
            logger.warning("training failed: %s", exc)
            with self._lock:
                self._error, self._status = exc, FAILED
                self._ended_at = time.monotonic()
            return
        except Exception as exc:  # noqa: BLE001 - a UI thread must not die silently
            logger.exception("training crashed")
            with self._lock:
                self._error = ExplorerError(
                    f"training failed unexpectedly ({type(exc).__name__}: {exc}); "
                    "try other settings, and report this if it happens again"
                )
                self._status = FAILED
                self._ended_at = time.monotonic()
            return
        with self._lock:
            self._model, self._status = model, model.status
            self._ended_at = time.monotonic()
