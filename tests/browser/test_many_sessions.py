"""Five browser sessions train at once, and each shows only its own work."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from playwright.sync_api import Browser, Page, expect

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

TRAIN_TIMEOUT_MS = 240_000
# Enough batches that each run lasts a few seconds and the five overlap.
# Batches of 8 leave torch more time outside the GIL than batches of 1.
EPOCHS = 60
BATCH_SIZE = 8
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


def start(page: Page, app_server: str) -> None:
    goto_page(page, app_server, "Train")
    set_number(page, "Batch size (1 = plain", BATCH_SIZE)
    set_number(page, "Epochs (passes over", EPOCHS)
    with expect_rerun(page):
        page.get_by_role("button", name="Start training").click()


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
        start(page, app_server)
    # NOTE: each run lasts several seconds and the five starts take about as
    # long, so the runs overlap, but the test does not check the overlap.
    for page in pages:
        wait_for_text(
            page, f"Training finished after {EPOCHS} epochs", timeout=TRAIN_TIMEOUT_MS
        )
    after = resident_mb(app_server_pid)

    expected_names = ["breast_cancer", "penguins", "students", "orders", "leads"]
    run_ids = [run_id(page) for page in pages]
    assert None not in run_ids
    assert len(set(run_ids)) == 5
    for page, name in zip(pages, expected_names, strict=True):
        text = sidebar_text(page)
        assert f"Dataset: {name}" in text, text
        others = [other for other in expected_names if other != name]
        assert not any(f"Dataset: {other}" in text for other in others), text
        assert f"trained ({EPOCHS} epochs" in text, text

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
