"""Server-side registry of training jobs, shared by every session.

A training job runs in a background thread that outlives the rerun which
started it, the page it was started from and even the browser tab. Each
job is stored under an unguessable run id. The ids of the tab's runs go
into its URL (``?run=<current>&run=<other>...``, at most `state.MAX_RUNS`),
so reloading the tab finds the jobs again and restores the data choices,
the kept runs and the current model from them.
"""

from __future__ import annotations

import copy
import logging
import secrets
import sys
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
    # The decision threshold and abstain band last chosen for this run's
    # model, so a reloaded tab shows the same ones. A threshold of None means
    # none was chosen yet.
    threshold: float | None = None
    abstain_band: tuple[float, float] | None = None

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


# Seconds a thread may hold the GIL while another waits (Python's default is
# 0.005). Training threads run in the server process, and with the default
# they starve its event loop and script threads. On 2 busy cores with five
# tabs training at once, a tab's live curve went 14-25 s without an update,
# and most fragment reruns reached the browser without their output. With
# 0.0005 the longest gap was 4-7 s and the jobs trained 3x more epochs, as a
# thread back from a short torch kernel waits less for the GIL.
GIL_SWITCH_INTERVAL_S = 0.0005


@st.cache_resource
def get_registry() -> JobRegistry:
    """Create the one registry of this server process, on first use."""
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
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
    _write_url_run_ids()
    return record


def sync_session() -> None:
    """Link this tab to its training runs and collect a finished run's model.

    Called once per full rerun, before any page is drawn. On the tab's first
    rerun, the run ids in the URL (a reloaded tab) bring back the kept runs
    and the data choices of the current one.
    """
    tab = state.get()
    if not tab.url_runs_read:
        tab.url_runs_read = True
        if tab.run_id is None:
            _restore_runs(url_run_ids())
    # Page navigation drops query parameters, so put the ids back.
    _write_url_run_ids()

    record = get_registry().get(tab.run_id)
    if record is None or record.is_running or tab.model_run_id == record.run_id:
        return
    if record.job.model is not None:
        state.set_model(record.job.model, record.run_id, record.data_summary)
        if record.threshold is not None:
            state.set_threshold(record.threshold)


def url_run_ids() -> list[str]:
    """Return the distinct run ids of the URL, the current one first.

    Repeated ``run`` parameters and comma-separated lists are both read. Only
    the first `state.MAX_RUNS` ids count, so a crafted URL cannot make a tab
    look up more.
    """
    ids: list[str] = []
    for value in st.query_params.get_all(RUN_PARAM):
        for run_id in value.split(","):
            run_id = run_id.strip()
            if run_id and run_id not in ids:
                ids.append(run_id)
    return ids[: state.MAX_RUNS]


def tab_run_ids() -> list[str]:
    """Return the ids of this tab's runs for its URL: current first, then kept."""
    tab = state.get()
    if tab.run_id is None:
        return []
    others = [entry.run_id for entry in tab.runs if entry.run_id != tab.run_id]
    # A running current run is not kept yet, so the oldest kept one gives way.
    return [tab.run_id, *others[-(state.MAX_RUNS - 1) :]]


def _write_url_run_ids() -> None:
    ids = tab_run_ids()
    if ids and st.query_params.get_all(RUN_PARAM) != ids:
        st.query_params[RUN_PARAM] = ids


def _store_choices(entry: state.RunEntry) -> None:
    """Copy a kept run's threshold and band to its record, for a reloaded tab."""
    record = get_registry().get(entry.run_id)
    if record is not None:
        record.threshold = entry.threshold
        record.abstain_band = entry.abstain_band


# Set at import: app.py imports this module before it runs any page that
# changes a threshold.
state.set_choices_sink(_store_choices)


def _restore_runs(run_ids: list[str]) -> None:
    """Bring back the runs of a reloaded tab from the registry.

    The runs become the tab's kept runs in the order they were started. The
    first id is the current run. When the registry no longer contains it,
    the newest run it still contains becomes current. Unknown ids are
    counted for the Runs page's notice and otherwise ignored.
    """
    if not run_ids:
        return
    tab = state.get()
    registry = get_registry()
    found = {run_id: registry.get(run_id) for run_id in run_ids}
    records = sorted(
        (record for record in found.values() if record is not None),
        key=lambda record: record.started_at,
    )
    tab.n_missing_runs = len(run_ids) - len(records)
    if found[run_ids[0]] is None:
        tab.missing_run_id = run_ids[0]
    if tab.n_missing_runs:
        logger.info(
            "%d training run(s) from the URL are not on this server",
            tab.n_missing_runs,
        )
    if not records:
        return
    for record in records:
        if not record.is_running and record.job.model is not None:
            state.restore_run(
                record.run_id,
                record.job.model,
                finished_at=record.ended_at or record.started_at,
                data=record.data_summary,
                threshold=record.threshold,
                abstain_band=record.abstain_band,
            )
    current = found[run_ids[0]] or records[-1]
    tab.run_id = current.run_id
    tab.data = copy.copy(current.data)
    tab.train_config = current.config
    if state.find_run(current.run_id) is not None:
        state.use_run(current.run_id)
    logger.info(
        "restored %d training run(s) into a new session, current %s",
        len(records),
        current.run_id[:6],
    )
