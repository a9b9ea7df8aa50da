"""Loading other data while a run trains: the run keeps its data, pages say so."""

from playwright.sync_api import Page, expect

from tests.browser.helpers import (
    expect_rerun,
    goto_page,
    open_app,
    screenshot,
    set_number,
    wait_for_text,
)

RUN_DATA = "breast_cancer.csv (target diagnosis, 569 rows)"


def load_sample(page: Page, name: str) -> None:
    with expect_rerun(page):
        page.get_by_role("button", name=f"Load {name}").click()
    wait_for_text(page, "Ready to train")


def test_sample_change_while_training(page: Page, app_server: str) -> None:
    open_app(page, app_server)
    load_sample(page, "breast_cancer")
    goto_page(page, app_server, "Train")
    # Batch size 1 for 10000 epochs trains until the test stops it.
    set_number(page, "Batch size (1 = plain", 1)
    set_number(page, "Epochs (passes over", 10_000)
    with expect_rerun(page):
        page.get_by_role("button", name="Start training").click()
    wait_for_text(page, "Trains on breast_cancer.csv: target diagnosis")

    goto_page(page, app_server, "Data")
    load_sample(page, "penguins")
    wait_for_text(page, f"This tab's training run keeps training on {RUN_DATA}")
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("Dataset: penguins.csv")).to_be_visible()
    expect(sidebar.get_by_text(f"Trains on: {RUN_DATA}")).to_be_visible()

    goto_page(page, app_server, "Train")
    wait_for_text(
        page,
        f"This run trains on {RUN_DATA}. The Data page now has penguins.csv: "
        "start training to use it once this run ends or is stopped.",
    )
    expect(page.get_by_role("button", name="Start training")).to_be_disabled()
    wait_for_text(page, "3 output units")
    wait_for_text(page, "rows of penguins.csv")
    screenshot(page, "data-change-train-running")
    page.get_by_role("button", name="Stop training").click()
    wait_for_text(page, "The model of this run is kept")
    wait_for_text(
        page,
        f"This model was trained on {RUN_DATA}. The Data page now has "
        "penguins.csv: start training to use it.",
    )
    expect(page.get_by_role("button", name="Start training")).to_be_enabled()
    wait_for_text(page, "batches of the unfinished epoch are not in the model")

    goto_page(page, app_server, "Evaluate")
    wait_for_text(page, f"This model was trained on {RUN_DATA}")
    wait_for_text(page, "Model trained on breast_cancer.csv (target diagnosis")
    wait_for_text(page, "Decision threshold: label a row 'malignant'")
    screenshot(page, "data-change-evaluate")
    goto_page(page, app_server, "Predict")
    wait_for_text(page, f"This model was trained on {RUN_DATA}")
    wait_for_text(page, "Predicts diagnosis (benign, malignant)")
