"""Classifier Explorer: the Streamlit entry point that routes to the four pages."""

import logging
import threading

import streamlit as st

from components import jobs, state, widgets
from core import training

st.set_page_config(page_title="Classifier Explorer", page_icon="🧠", layout="wide")


@st.cache_resource
def configure_logging() -> None:
    """Send the app's log records to stderr, once per server process."""
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


@st.cache_resource
def warm_up_torch() -> None:
    """Pay torch's one-time optimizer import in the background, once per server."""
    threading.Thread(target=training.warm_up, name="torch-warm-up", daemon=True).start()


configure_logging()
warm_up_torch()
state.init()
jobs.sync_session()

# The page scripts live in app_pages/, not pages/: Streamlit treats a pages/
# folder as an old-style page list and can then run a page without this
# script (AppTest does so on every rerun).
navigation = st.navigation(
    [
        st.Page(
            "app_pages/data.py", title="Data", icon=":material/table:", default=True
        ),
        st.Page(
            "app_pages/train.py",
            title="Train",
            icon=":material/school:",
            url_path="train",
        ),
        st.Page(
            "app_pages/evaluate.py",
            title="Evaluate",
            icon=":material/insights:",
            url_path="evaluate",
        ),
        st.Page(
            "app_pages/predict.py",
            title="Predict",
            icon=":material/upload_file:",
            url_path="predict",
        ),
        st.Page(
            "app_pages/runs.py",
            title="Runs",
            icon=":material/compare_arrows:",
            url_path="runs",
        ),
    ]
)
navigation.run()
# Drawn after the page, so it shows what the page's action just changed. The
# Train page polls the run itself, and its full rerun at the end of the run
# redraws the sidebar too.
widgets.sidebar_status(poll=navigation.url_path != "train")
