"""Server-side registry of training jobs, shared by every session.

A training job runs in a background thread that outlives the rerun which
started it, the page it was started from and even the browser tab. Each
job is stored under an unguessable run id. The id goes into the tab's URL
(``?run=<id>``), so reloading the tab finds the job again and restores the
data choices and the trained model from it.
"""

from __future__ import annotations

import copy
import logging
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import streamlit as st

from components import state
from core.errors import TrainingError
from core.job import TrainingJob

if TYPE_CHECKING:
    from core.training import TrainConfig

logger = logging.getLogger(__name__)

MAX_JOBS = 32
RUN_PARAM = "run"


class RegistryFullError(TrainingError):
    """Every slot of the job registry contains a job that is still running."""


@dataclass
class RunRecord:
    """One training job and what a new tab needs to show its results.

    `data` is the run's own copy of the data choices, so the Data page can
    load other data while the job trains on this one.
    """

    run_id: str
    job: TrainingJob
    data: state.DataChoices
    config: TrainConfig
    # Wall-clock time (`time.time()`) when the job's thread was started.
    started_at: float
    # The decision threshold last chosen for this run's model, so a reloaded
    # tab shows the same one.
    threshold: float | None = None

    @property
    def is_running(self) -> bool:
        """Whether the job's thread is still training."""
        return self.job.is_running

    @property
    def ended_at(self) -> float | None:
        """Wall-clock time when the job ended, or None while it runs."""
        if self.job.status in ("pending", "running"):
            return None
        return self.started_at + self.job.elapsed_seconds()

    @property
    def data_summary(self) -> state.DataSummary | None:
        """File, target and size of the data this run trains on."""
        return state.summarize(self.data)


class JobRegistry:
    """Bounded, thread-safe map from run id to `RunRecord`.

    When the registry is full, starting a job evicts the oldest job that is
    no longer running. If every job is still running, the start is rejected.
    """

    def __init__(self, max_jobs: int = MAX_JOBS) -> None:
        self._max_jobs = max_jobs
        self._runs: OrderedDict[str, RunRecord] = OrderedDict()
        self._lock = threading.Lock()
        self._n_started = 0

    @property
    def n_started(self) -> int:
        """Number of jobs started since the server started."""
        with self._lock:
            return self._n_started

    def __len__(self) -> int:
        with self._lock:
            return len(self._runs)

    def get(self, run_id: str | None) -> RunRecord | None:
        """Return the record of `run_id`, or None when it is unknown."""
        if not run_id:
            return None
        with self._lock:
            return self._runs.get(run_id)

    def start(self, data: state.DataChoices, config: TrainConfig) -> RunRecord:
        """Create a training job for `data.prepared`, start it and store it."""
        if data.prepared is None:
            raise TrainingError(
                "No prepared data to train on. Choose a target column and the "
                "feature encodings on the Data page first."
            )
        job = TrainingJob(data.prepared, config, dataset_name=data.dataset.name)
        record = RunRecord(
            run_id=secrets.token_urlsafe(16),
            job=job,
            data=copy.copy(data),
            config=config,
            started_at=time.time(),
        )
        with self._lock:
            self._make_room()
            self._runs[record.run_id] = record
            self._n_started += 1
            # Started under the lock, so no other session finds it pending and
            # evicts it as finished.
            record.started_at = time.time()
            job.start()
        logger.info("started training run %s", record.run_id[:6])
        return record

    def _make_room(self) -> None:
        while len(self._runs) >= self._max_jobs:
            finished = [rid for rid, rec in self._runs.items() if not rec.is_running]
            if not finished:
                raise RegistryFullError(
                    f"{self._max_jobs} trainings are running on this server, the "
                    "maximum. Wait for one to finish or stop one, then start again."
                )
            # OrderedDict keeps insertion order, so the first is the oldest.
            evicted = self._runs.pop(finished[0])
            logger.info("evicted finished training run %s", evicted.run_id[:6])


@st.cache_resource
def get_registry() -> JobRegistry:
    """Return the one registry of this server process."""
    return JobRegistry()


def current_record() -> RunRecord | None:
    """Return the record of this tab's training run, if the server has it."""
    return get_registry().get(state.get().run_id)


def start_training(config: TrainConfig) -> RunRecord:
    """Start training this tab's prepared data, unless its last run still runs.

    Raises `TrainingError` when a run of this tab is still training, so the
    page shows that message instead of starting a second run.
    """
    tab = state.get()
    running = current_record()
    if running is not None and running.is_running:
        raise TrainingError(
            "A training run is still in progress. Stop it or wait for it to "
            "finish, then start a new one."
        )
    if tab.data is None:
        raise TrainingError("No dataset loaded. Load one on the Data page first.")
    record = get_registry().start(tab.data, config)
    tab.run_id = record.run_id
    tab.train_config = config
    st.query_params[RUN_PARAM] = record.run_id
    return record


def sync_session() -> None:
    """Link this tab to its training run and collect a finished run's model.

    Called once per full rerun, before any page is drawn. A tab without a
    run id adopts the one in the URL (a reloaded tab) and restores the data
    choices stored with that run.
    """
    tab = state.get()
    registry = get_registry()
    url_run_id = st.query_params.get(RUN_PARAM)
    if tab.run_id is None and url_run_id and url_run_id != tab.missing_run_id:
        _adopt_run(url_run_id)
    if tab.run_id is not None and url_run_id != tab.run_id:
        # Page navigation drops query parameters, so put the id back.
        st.query_params[RUN_PARAM] = tab.run_id

    record = registry.get(tab.run_id)
    if record is None or record.is_running or tab.model_run_id == record.run_id:
        return
    if record.job.model is not None:
        state.set_model(record.job.model, record.run_id, record.data_summary)
        if record.threshold is not None:
            state.set_threshold(record.threshold)


def remember_threshold(threshold: float) -> None:
    """Store the chosen threshold with this tab's run, for a reloaded tab."""
    record = current_record()
    tab = state.get()
    if record is not None and tab.model_run_id == record.run_id:
        record.threshold = float(threshold)


def _adopt_run(run_id: str) -> None:
    tab = state.get()
    record = get_registry().get(run_id)
    if record is None:
        tab.missing_run_id = run_id
        logger.info("training run %s from the URL is not on this server", run_id[:6])
        return
    tab.run_id = run_id
    tab.data = copy.copy(record.data)
    tab.train_config = record.config
    logger.info("restored training run %s into a new session", run_id[:6])
