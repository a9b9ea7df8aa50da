"""Five browser sessions train at once, and each shows only its own work.

The Train page shows when each run started and ended, so the test checks
that all five were training at the same time.
"""

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from playwright.sync_api import Browser, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.browser.conftest import DEFAULT_TIMEOUT_MS, VIEWPORT
from tests.browser.helpers import (
    expect_rerun,
    goto_page,
    open_app,
    screenshot,
    select_option,
    set_number,
    track_script_runs,
    upload_file,
    wait_for_text,
)
from tests.browser.test_app_in_browser import run_id

TRAIN_TIMEOUT_MS = 60_000
# So many epochs that every run trains until the test stops it, however
# slowly a loaded machine handles the five starts. The default batch size
# of 32 leaves torch more time outside the GIL than small batches.
EPOCHS = 10_000
# Resident memory the server may grow by per session that loaded a dataset
# and trained on it: the datasets here are small, so most of it is torch.
MAX_MB_PER_SESSION = 150


def resident_mb(pid: int) -> float:
    """Return a process's resident set size in MiB, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS line for process {pid}")


def write_csv(path: Path, seed: int, target: str, classes: list[str]) -> Path:
    """Write 200 rows: `target` first, then two numbers and a category.

    The Data page preselects the last column, so the test has to choose the
    target, as a user with such a file would.
    """
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(200, 2))
    labels = np.asarray(classes)[(x[:, 0] > 0).astype(int) % len(classes)]
    frame = pd.DataFrame(
        {
            target: labels,
            f"x{seed}": x[:, 0].round(3),
            f"z{seed}": x[:, 1].round(3),
            "group": rng.choice(["a", "b", "c"], 200),
        }
    )
    frame.to_csv(path, index=False)
    return path


def load_sample(page: Page, app_server: str, name: str) -> None:
    open_app(page, app_server)
    with expect_rerun(page):
        page.get_by_role("button", name=f"Load {name}").click()
    wait_for_text(page, "Ready to train")


def load_upload(page: Page, app_server: str, path: Path, target: str) -> None:
    open_app(page, app_server)
    upload_file(page, "Upload a CSV file", path)
    wait_for_text(page, "200 rows x 4 columns")
    select_option(page, "Target column", target)
    wait_for_text(page, "Ready to train")


def set_up_training(page: Page, app_server: str) -> None:
    goto_page(page, app_server, "Train")
    set_number(page, "Epochs (passes over", EPOCHS)


def start_all(pages: list[Page]) -> None:
    """Click every page's Start button, then wait until every run has started.

    Starting one tab after another takes seconds each while the earlier
    runs train, so the clicks come first and the waits after them.
    """
    for page in pages:
        page.get_by_role("button", name="Start training").click()
    # Once a run starts, two fragments poll it every second, so the page is
    # seldom idle on a loaded machine: the run's caption shows the start.
    for page in pages:
        wait_for_text(page, "Started at", timeout=TRAIN_TIMEOUT_MS)


# The progress text of a run that has finished at least one epoch.
EPOCH_DONE = re.compile(r"epoch [1-9]\d* / ")


def stop_all(pages: list[Page]) -> None:
    """Stop every run once each has finished an epoch, then wait for the ends."""
    for page in pages:
        expect(page.get_by_text(EPOCH_DONE).first).to_be_visible(
            timeout=TRAIN_TIMEOUT_MS
        )
    # The button is in the fragment that polls the run, so no counted
    # script run follows the click; the outcome message shows the stop.
    for page in pages:
        page.get_by_role("button", name="Stop training").click()
    for index, page in enumerate(pages):
        wait_for_stop(page, index)


# With the sidebar polling too, five tabs froze the Train page's live
# fragment and its Stop button. The test still clicks again after
# STOP_RETRY_MS and prints how often it had to, so a lost click shows.
STOP_RETRY_MS = 20_000


def wait_for_stop(page: Page, index: int) -> None:
    """Wait for the outcome of the page's stopped run, clicking Stop again."""
    outcome = page.get_by_text("The model of this run is kept").first
    for attempt in range(TRAIN_TIMEOUT_MS // STOP_RETRY_MS):
        try:
            outcome.wait_for(state="visible", timeout=STOP_RETRY_MS)
            return
        except PlaywrightTimeoutError:
            print(f"page {index}: no outcome {attempt + 1} time(s); Stop again")
            button = page.get_by_role("button", name="Stop training")
            if button.count():
                button.click()
    wait_for_text(page, "The model of this run is kept", timeout=STOP_RETRY_MS)


# The Train page's caption of an ended run, in the server's local time.
RUN_TIMES = re.compile(
    r"Started at (\d\d):(\d\d):(\d\d\.\d), ended at (\d\d):(\d\d):(\d\d\.\d)"
)
DAY_S = 24 * 3600


def run_times(page: Page) -> tuple[float, float]:
    """Return the start and end of the page's run, in seconds since midnight."""
    # Until the browser drops it, the caption of the running run can still
    # be on the page next to the ended one, so only the ended one is read.
    text = page.get_by_text(RUN_TIMES).inner_text()
    found = RUN_TIMES.search(text)
    assert found, text
    hours, minutes, seconds = (float(part) for part in found.groups()[:3])
    started = hours * 3600 + minutes * 60 + seconds
    hours, minutes, seconds = (float(part) for part in found.groups()[3:])
    ended = hours * 3600 + minutes * 60 + seconds
    return started, ended


def unwrap_midnight(times: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Shift times past midnight by a day, so runs around midnight compare."""
    first = min(started for started, _ in times)
    return [
        tuple(t + DAY_S if t < first - DAY_S / 2 else t for t in pair) for pair in times
    ]


def sidebar_text(page: Page) -> str:
    return page.get_by_test_id("stSidebar").inner_text()


@pytest.fixture
def pages(browser: Browser):
    contexts = [browser.new_context(viewport=VIEWPORT) for _ in range(5)]
    opened = []
    for context in contexts:
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        page = context.new_page()
        track_script_runs(page)
        opened.append(page)
    yield opened
    for context in contexts:
        context.close()


def test_five_sessions_train_apart(
    pages, app_server: str, app_server_pid: int, tmp_path: Path
):
    before = resident_mb(app_server_pid)
    uploads = {
        "orders.csv": (
            write_csv(tmp_path / "orders.csv", 1, "returned", ["no", "yes"]),
            "returned",
        ),
        "leads.csv": (
            write_csv(tmp_path / "leads.csv", 2, "tier", ["gold", "iron", "wood"]),
            "tier",
        ),
    }
    datasets = ["breast_cancer", "penguins", "students", *uploads]
    for page, name in zip(pages, datasets, strict=True):
        if name in uploads:
            path, target = uploads[name]
            load_upload(page, app_server, path, target)
        else:
            load_sample(page, app_server, name)
    for page in pages:
        set_up_training(page, app_server)
    start_all(pages)
    stop_all(pages)
    after = resident_mb(app_server_pid)

    # The caption truncates to 0.1 s, so a run started before its shown
    # time + 0.1 s and ended at or after its shown end.
    times = unwrap_midnight([run_times(page) for page in pages])
    last_start = max(started for started, _ in times) + 0.1
    first_end = min(ended for _, ended in times)
    print(f"all five runs trained at once for {first_end - last_start:.1f} s")
    assert last_start <= first_end, times

    expected_names = ["breast_cancer", "penguins", "students", "orders", "leads"]
    run_ids = [run_id(page) for page in pages]
    assert None not in run_ids
    assert len(set(run_ids)) == 5
    for page, name in zip(pages, expected_names, strict=True):
        text = sidebar_text(page)
        assert f"Dataset: {name}" in text, text
        others = [other for other in expected_names if other != name]
        assert not any(f"Dataset: {other}" in text for other in others), text
        assert re.search(r"Model: trained \(\d+ epochs", text), text

    goto_page(pages[1], app_server, "Evaluate")
    expect(pages[1].get_by_text("Adelie").first).to_be_visible()
    goto_page(pages[4], app_server, "Evaluate")
    expect(pages[4].get_by_text("gold").first).to_be_visible()
    goto_page(pages[3], app_server, "Evaluate")
    wait_for_text(pages[3], "Decision threshold")
    screenshot(pages[3], "many-sessions-evaluate")

    per_session = (after - before) / len(pages)
    print(f"server memory: {before:.0f} MiB before, {after:.0f} MiB after 5 sessions")
    assert per_session < MAX_MB_PER_SESSION, (before, after)
