"""Page tests: the Data page changes while this tab's run is still training.

The running job keeps the data it started with, and Train, Evaluate and
Predict name that data and say when the Data page now has other data.
"""

import time

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from components.jobs import RunRecord, get_registry
from core.formulas import binary_cross_entropy
from core.training import split_rows
from tests.pages.test_pages import (
    JOB_TIMEOUT_S,
    assert_clean,
    edit_encodings,
    load_sample,
    new_app,
    tab_state,
    texts,
    upload_csv,
)

# Batch size 1 for 10000 epochs runs far longer than any test needs it to.
LONG_EPOCHS = 10_000


def start_long_run(at: AppTest) -> RunRecord:
    """Start a run on the tab's data that lasts until the test stops it."""
    at.switch_page("app_pages/train.py").run()
    at.number_input(key="train_epochs").set_value(LONG_EPOCHS)
    at.number_input(key="train_batch_size").set_value(1)
    at.button[0].click().run()
    record = get_registry().get(tab_state(at).run_id)
    assert record is not None
    assert record.is_running
    # A run stopped before its first epoch ends gets another message than
    # the one these tests read, and the first epoch of a process can wait
    # seconds for torch's lazy imports.
    wait_for_epochs(record, 1)
    return record


def wait_for_epochs(record: RunRecord, n_epochs: int) -> None:
    deadline = time.monotonic() + JOB_TIMEOUT_S
    while record.job.epochs_done < n_epochs:
        assert record.is_running, record.job.status
        assert time.monotonic() < deadline, "the run did not reach the epochs"
        time.sleep(0.05)


def stop_run(at: AppTest) -> None:
    stop = next(button for button in at.button if button.label == "Stop training")
    stop.click().run()


def start_button(at: AppTest):
    return next(button for button in at.button if button.label == "Start training")


def warnings(at: AppTest) -> list[str]:
    return texts(at.warning)


def test_new_sample_keeps_running_data() -> None:
    at = load_sample(new_app(), "breast_cancer")
    record = start_long_run(at)
    try:
        started_on = record.job.prepared
        at.switch_page("app_pages/data.py").run()
        at = load_sample(at, "penguins")
        assert_clean(at)
        assert tab_state(at).data.dataset.name == "penguins.csv"
        assert record.data.dataset.name == "breast_cancer.csv"
        assert record.job.prepared is started_on
        assert record.data.prepared is started_on

        at.switch_page("app_pages/train.py").run()
        assert_clean(at)
        notice = (
            "This run trains on breast_cancer.csv (target diagnosis, 569 rows). "
            "The Data page now has penguins.csv: start training to use it once "
            "this run ends or is stopped."
        )
        assert notice in warnings(at)
        assert start_button(at).disabled
        assert any("run is in progress" in text for text in texts(at.caption))
        captions = " ".join(texts(at.caption))
        assert "Trains on **breast_cancer.csv**: target **diagnosis**" in captions
        assert "rows of **penguins.csv**" in captions
        head = " ".join(texts(at.markdown))
        assert "**3 output units** with a **softmax**" in head
        sidebar = " ".join(texts(at.sidebar.caption))
        assert "Dataset: penguins.csv" in sidebar
        assert "Trains on: breast_cancer.csv (target diagnosis" in sidebar
    finally:
        record.job.stop()
    assert record.job.join(timeout=JOB_TIMEOUT_S)


def test_stopped_run_model_names_its_data() -> None:
    at = load_sample(new_app(), "breast_cancer")
    record = start_long_run(at)
    try:
        at.switch_page("app_pages/data.py").run()
        at = load_sample(at, "penguins")
        at.switch_page("app_pages/train.py").run()
        stop_run(at)
    finally:
        record.job.stop()
    assert record.job.join(timeout=JOB_TIMEOUT_S)
    at.run()
    assert_clean(at)
    model = tab_state(at).model
    assert model is record.job.model
    assert model.dataset_name == "breast_cancer.csv"
    assert model.classes_ == record.data.prepared.target.classes_
    assert tab_state(at).model_data.name == "breast_cancer.csv"
    assert any("model of this run is kept" in text for text in texts(at.info))

    notice = (
        "This model was trained on breast_cancer.csv (target diagnosis, 569 "
        "rows). The Data page now has penguins.csv: start training to use it."
    )
    assert notice in warnings(at)
    assert not start_button(at).disabled
    for page in ("app_pages/evaluate.py", "app_pages/predict.py"):
        at.switch_page(page).run()
        assert_clean(at)
        assert notice in warnings(at), page
        shown = " ".join(texts(at.caption) + texts(at.markdown))
        assert "Model trained on **breast_cancer.csv**" in shown, page
        assert "(target **diagnosis**, 569 rows)" in shown, page
    sidebar = " ".join(texts(at.sidebar.caption))
    assert "Trained on: breast_cancer.csv (target diagnosis" in sidebar


def test_mid_epoch_stop_keeps_best_weights() -> None:
    at = load_sample(new_app(), "breast_cancer")
    record = start_long_run(at)
    try:
        wait_for_epochs(record, 3)
        stop_run(at)
    finally:
        record.job.stop()
    assert record.job.join(timeout=JOB_TIMEOUT_S)
    at.run()
    assert_clean(at)
    model = record.job.model
    assert model.status == "stopped"
    # "stopped by request in epoch k": epoch k was not finished, so the
    # history ends at epoch k - 1.
    stopped_in = int(model.message.rsplit(" ", 1)[-1])
    assert len(model.history) == stopped_in - 1
    assert len(model.history) >= 3

    losses = [epoch.valid_loss for epoch in model.history]
    best = int(np.argmin(losses)) + 1
    prepared = record.data.prepared
    _, valid_idx = split_rows(
        prepared.target.y, model.config.validation_share, model.config.seed
    )
    assert np.array_equal(model.y_valid, prepared.target.y[valid_idx])
    recomputed = model.predict_proba(prepared.frame.iloc[valid_idx])
    np.testing.assert_allclose(recomputed, model.valid_proba, rtol=0, atol=1e-6)
    loss = binary_cross_entropy(model.y_valid, model.valid_proba).mean()
    assert loss == pytest.approx(losses[best - 1], abs=1e-5)

    captions = " ".join(texts(at.caption))
    assert f"keeps the weights of epoch {best}, the one with the lowest" in captions
    assert "batches of the unfinished epoch are not in the model" in captions


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            "target",
            "The Data page now has the target island for this file: start "
            "training to use it once this run ends or is stopped.",
        ),
        (
            "encoding",
            "The Data page now has other choices for this file and target "
            "(positive class, encodings or missing values): start training to "
            "use it once this run ends or is stopped.",
        ),
        ("bad upload", "The Data page has no usable dataset now."),
    ],
)
def test_data_change_notice_names_change(change: str, expected: str) -> None:
    at = load_sample(new_app(), "penguins")
    record = start_long_run(at)
    try:
        at.switch_page("app_pages/data.py").run()
        if change == "target":
            at.selectbox[0].set_value("island").run()
        elif change == "encoding":
            edit_encodings(at, {"year": {"encoding": "drop"}})
        else:
            upload_csv(at, "05_header_only.csv")
        assert_clean(at)
        at.switch_page("app_pages/train.py").run()
        assert_clean(at)
        head = "This run trains on penguins.csv (target species, "
        shown = [text for text in warnings(at) if text.startswith(head)]
        assert len(shown) == 1, warnings(at)
        assert shown[0].endswith(expected), shown[0]
        sidebar = " ".join(texts(at.sidebar.caption))
        if change == "encoding":
            assert "other choices than the ones above" in sidebar
        else:
            assert "not the dataset above" in sidebar
        assert record.data.target == "species"
        assert record.is_running
    finally:
        record.job.stop()
    assert record.job.join(timeout=JOB_TIMEOUT_S)


def test_same_data_shows_no_notice() -> None:
    at = load_sample(new_app(), "students")
    record = start_long_run(at)
    try:
        at.switch_page("app_pages/data.py").run()
        # Loading the same bytes again keeps the choices made for them.
        at = load_sample(at, "students")
        at.switch_page("app_pages/train.py").run()
        assert_clean(at)
        assert not [text for text in warnings(at) if "Data page now" in text]
        assert any("Trains on **students.csv**" in t for t in texts(at.caption))
    finally:
        record.job.stop()
    assert record.job.join(timeout=JOB_TIMEOUT_S)
    at.run()
    assert_clean(at)
    assert not [text for text in warnings(at) if "Data page" in text]


def test_new_run_uses_new_data() -> None:
    at = load_sample(new_app(), "breast_cancer")
    record = start_long_run(at)
    try:
        at.switch_page("app_pages/data.py").run()
        at = load_sample(at, "penguins")
        at.switch_page("app_pages/train.py").run()
        stop_run(at)
    finally:
        record.job.stop()
    assert record.job.join(timeout=JOB_TIMEOUT_S)
    at.run()
    at.number_input(key="train_epochs").set_value(2)
    at.number_input(key="train_batch_size").set_value(32)
    start_button(at).click().run()
    second = get_registry().get(tab_state(at).run_id)
    assert second is not record
    assert second.job.join(timeout=JOB_TIMEOUT_S)
    at.run()
    assert_clean(at)
    assert tab_state(at).model.dataset_name == "penguins.csv"
    assert tab_state(at).model.classes_ == ["Adelie", "Chinstrap", "Gentoo"]
    assert not [text for text in warnings(at) if "Data page" in text]
    assert any("Trained on **penguins.csv**" in t for t in texts(at.caption))
