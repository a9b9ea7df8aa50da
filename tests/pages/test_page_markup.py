"""Page tests: names and values from files reach Markdown escaped and cut.

A column, class, category or file name written in Markdown must show as
written, so each check compares an element's Markdown source with the
escaped form that `components.text` produces.
"""

import io

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from components import text
from components.jobs import get_registry
from core import bundle
from tests.pages.test_pages import JOB_TIMEOUT_S, ROOT, TIMEOUT_S, tab_state

IMAGE = "![img](http://127.0.0.1:9/none.png)"
TARGET = f"**x** _y_ {IMAGE}"
CLASSES = ("**x**", "_y_")
CATEGORY = "![c](http://127.0.0.1:9/none.png)"
FILE_NAME = "_f_ **n**.csv"


def markup_frame(target: str = TARGET, n_rows: int = 60) -> pd.DataFrame:
    """Return rows whose target, class and category names are Markdown."""
    rng = np.random.default_rng(0)
    f1 = rng.normal(size=n_rows)
    return pd.DataFrame(
        {
            "f1": f1.round(3),
            "color": np.where(np.arange(n_rows) % 2 == 0, "red", CATEGORY),
            target: np.where(f1 > 0, CLASSES[0], CLASSES[1]),
        }
    )


def csv_bytes(frame: pd.DataFrame, encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    return buffer.getvalue().encode(encoding)


def trained_app(frame: pd.DataFrame, file_name: str = FILE_NAME) -> AppTest:
    """Upload `frame` on the Data page and train two epochs on it."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT_S).run()
    at.file_uploader(key="data_upload").set_value(
        (file_name, csv_bytes(frame), "text/csv")
    )
    at.run()
    at.switch_page("app_pages/train.py").run()
    at.number_input(key="train_epochs").set_value(2)
    at.button[0].click().run()
    record = get_registry().get(tab_state(at).run_id)
    assert record is not None
    assert record.job.join(timeout=JOB_TIMEOUT_S)
    return at.run()


def markdown_sources(at: AppTest) -> str:
    """Join the Markdown of every element that renders it."""
    groups = (at.markdown, at.caption, at.info, at.warning, at.error, at.success)
    return "\n".join(str(element.value) for group in groups for element in group)


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def predict_file(at: AppTest, content: bytes, name: str = "new.csv") -> AppTest:
    at.file_uploader(key="predict_upload").set_value((name, content, "text/csv"))
    return at.run()


@pytest.fixture(scope="module")
def markup_app() -> AppTest:
    return trained_app(markup_frame())


def test_pages_escape_file_names(markup_app: AppTest) -> None:
    at = markup_app
    for page in (
        "app_pages/data.py",
        "app_pages/train.py",
        "app_pages/evaluate.py",
        "app_pages/predict.py",
    ):
        at.switch_page(page).run()
        assert_clean(at)
        shown = markdown_sources(at)
        assert text.name(TARGET) in shown, page
        assert TARGET not in shown, page
        assert IMAGE not in shown, page
        assert f"**{text.name(FILE_NAME)}**" in shown, page


def test_train_head_escapes_classes(markup_app: AppTest) -> None:
    at = markup_app.switch_page("app_pages/train.py").run()
    head = " ".join(m.value for m in at.markdown if "Output head" in m.value)
    pos_label = tab_state(at).model.pos_label
    assert f"P({text.name(TARGET)} = {text.name(pos_label)})" in head


def test_evaluate_escapes_threshold_label(markup_app: AppTest) -> None:
    at = markup_app.switch_page("app_pages/evaluate.py").run()
    assert_clean(at)
    pos_label = tab_state(at).model.pos_label
    assert f"'{text.name(pos_label)}'" in at.slider[0].label
    caption = markdown_sources(at)
    assert text.names(tab_state(at).model.classes_) in caption


def test_predict_summary_escapes_columns(markup_app: AppTest) -> None:
    at = markup_app.switch_page("app_pages/predict.py").run()
    summary = " ".join(m.value for m in at.markdown if "Predicts" in m.value)
    assert f"Predicts **{text.name(TARGET)}**" in summary
    assert text.names(["f1", "color"]) in summary
    assert text.name(CLASSES[0]) in summary


def test_predict_shows_notes_and_safe_csv(markup_app: AppTest) -> None:
    at = markup_app.switch_page("app_pages/predict.py").run()
    rows = pd.DataFrame({"f1": [0.5, -0.5], "color": ["red", "=1+2"], "é": [1, 2]})
    at = predict_file(at, csv_bytes(rows, "cp1252"))
    assert_clean(at)
    infos = [info.value for info in at.info]
    assert text.message(tab_state(at).predict_table.notes[0]) in infos
    assert "Windows" in " ".join(infos)

    shown = at.dataframe[0].value
    assert shown["prediction"].tolist()[1] == ""
    assert shown["problem"].tolist()[1]
    assert b"'=1+2" in tab_state(at).prediction_csv
    captions = [caption.value for caption in at.caption]
    assert any("spreadsheet programs run as a formula" in c for c in captions)


def test_predict_keeps_fields_as_written(markup_app: AppTest) -> None:
    at = markup_app.switch_page("app_pages/predict.py").run()
    content = b"id,f1,color,big\n007,0.5,red,12345678901234567890\n010,-1e0,red,1\n"
    at = predict_file(at, content, name="ids.csv")
    assert_clean(at)
    shown = at.dataframe[0].value
    assert shown["id"].tolist() == ["007", "010"]
    assert shown["f1"].tolist() == ["0.5", "-1e0"]
    downloaded = pd.read_csv(io.BytesIO(tab_state(at).prediction_csv), dtype=str)
    assert downloaded["id"].tolist() == ["007", "010"]
    assert downloaded["big"].tolist() == ["12345678901234567890", "1"]
    assert downloaded["prediction"].notna().all()


def test_failed_model_upload_clears_model(markup_app: AppTest) -> None:
    at = markup_app.switch_page("app_pages/predict.py").run()
    model_file = tab_state(at).model_bytes
    assert model_file
    at.radio(key="predict_source").set_value("uploaded").run()
    at.file_uploader(key="model_upload").set_value(
        ("good.pt", model_file, "application/octet-stream")
    )
    at = predict_file(at.run(), csv_bytes(markup_frame().head(3)))
    assert tab_state(at).prediction is not None
    assert any("good\\.pt" in c.value for c in at.caption)

    at.file_uploader(key="model_upload").set_value(
        ("empty.pt", b"", "application/octet-stream")
    )
    at.run()
    assert_clean(at)
    assert tab_state(at).uploaded_model is None
    assert tab_state(at).prediction is None
    errors = " ".join(error.value for error in at.error)
    assert "empty\\.pt" in errors
    assert "no model file is in use" in errors
    assert not at.dataframe
    assert any("upload a model file" in info.value for info in at.info)


def test_long_names_are_cut() -> None:
    target = "t" * 10_000
    at = trained_app(markup_frame(target=target, n_rows=40), "d" * 200 + ".csv")
    for page in (
        "app_pages/data.py",
        "app_pages/train.py",
        "app_pages/evaluate.py",
        "app_pages/predict.py",
    ):
        at.switch_page(page).run()
        assert_clean(at)
        for element in (*at.markdown, *at.caption, *at.success, *at.info):
            assert len(element.value) < 2_000, (page, element.value[:80])
        assert text.name(target) in markdown_sources(at), page
    model = bundle.load_model(tab_state(at).model_bytes)
    assert model.target_name == target
