"""A reloaded tab gets its runs back from the run ids in its URL.

A reload is a new AppTest session given the query parameters of the old one.
"""

import secrets

import pytest
from streamlit.testing.v1 import AppTest

from components import state
from components.jobs import MAX_JOBS, get_registry
from core.training import TrainConfig
from tests.pages.test_pages import (
    JOB_TIMEOUT_S,
    ROOT,
    TIMEOUT_S,
    assert_clean,
    tab_state,
    train,
    upload_csv,
)


def url_ids(at: AppTest) -> list[str]:
    value = at.query_params.get("run", [])
    return [value] if isinstance(value, str) else list(value)


def reload(at: AppTest, page: str | None = None) -> AppTest:
    """Open a new session on the URL of `at`, as a browser reload does."""
    reloaded = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT_S)
    reloaded.query_params["run"] = url_ids(at)
    reloaded.run()
    if page is not None:
        reloaded.switch_page(page).run()
    return reloaded


def open_with_ids(ids: list[str]) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT_S)
    at.query_params["run"] = ids
    return at.run()


def trained_twice() -> AppTest:
    """Train two runs, moving run 1's threshold and turning on its band."""
    at = upload_csv(
        AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT_S).run(),
        "22_rerun_state.csv",
    )
    at = train(at, epochs=2)
    at.switch_page("app_pages/evaluate.py").run()
    at.slider[0].set_value(0.37).run()
    version = tab_state(at).model_version
    at.toggle(key=f"abstain_on_{version}").set_value(True).run()
    at.slider(key=f"abstain_band_{version}").set_value((0.2, 0.6)).run()
    assert_clean(at)
    return train(at, epochs=3)


def warnings_text(at: AppTest) -> str:
    return " ".join(str(element.value) for element in at.warning)


def test_url_lists_current_run_first() -> None:
    at = trained_twice()
    first, second = (entry.run_id for entry in tab_state(at).runs)
    assert url_ids(at) == [second, first]
    at.switch_page("app_pages/data.py").run()
    assert url_ids(at) == [second, first]


def test_reload_restores_both_runs() -> None:
    at = trained_twice()
    before = tab_state(at).runs
    reloaded = reload(at, "app_pages/runs.py")
    assert_clean(reloaded)
    tab = tab_state(reloaded)
    assert [entry.run_id for entry in tab.runs] == [e.run_id for e in before]
    assert [entry.name for entry in tab.runs] == ["run 1", "run 2"]
    assert tab.run_id == before[1].run_id
    assert tab.model is get_registry().get(before[1].run_id).job.model
    assert tab.data.dataset.name == "22_rerun_state.csv"
    assert "No finished training yet" not in " ".join(
        str(element.value) for element in reloaded.info
    )
    labels = [button.label for button in reloaded.button]
    assert "Use run 1" in labels
    assert "Use run 2" in labels


def test_reload_restores_threshold_and_band() -> None:
    at = trained_twice()
    reloaded = reload(at)
    first = tab_state(reloaded).runs[0]
    assert first.threshold == 0.37
    assert first.abstain_band == (0.2, 0.6)
    second = tab_state(reloaded).runs[1]
    assert second.threshold == second.model.threshold
    assert second.abstain_band is None


def test_use_first_run_after_reload() -> None:
    at = trained_twice()
    first_id = tab_state(at).runs[0].run_id
    reloaded = reload(at, "app_pages/runs.py")
    reloaded.button(key="use_run_1").click().run()
    assert_clean(reloaded)
    tab = tab_state(reloaded)
    assert tab.model_run_id == first_id
    assert tab.model is get_registry().get(first_id).job.model
    assert tab.threshold == 0.37
    assert tab.abstain_band == (0.2, 0.6)
    assert url_ids(reloaded)[0] == first_id

    # The first run stays current through a second reload.
    again = reload(reloaded)
    assert tab_state(again).model_run_id == first_id
    assert tab_state(again).threshold == 0.37


@pytest.mark.parametrize(
    "ids",
    [
        ["not-a-run"],
        ["", " "],
        ["a,b,,c"],
        ["x" * 5000],
        ["é/../?&=%00"],
        [secrets.token_urlsafe(16) for _ in range(3 * state.MAX_RUNS)],
    ],
    ids=["unknown", "blank", "comma-list", "long", "odd-characters", "too-many"],
)
def test_unknown_ids_never_error(ids: list[str]) -> None:
    at = open_with_ids(ids)
    assert_clean(at)
    for page in ("runs", "train", "evaluate", "predict", "data"):
        at.switch_page(f"app_pages/{page}.py").run()
        assert_clean(at)
    tab = tab_state(at)
    assert tab.runs == []
    assert tab.run_id is None
    assert tab.n_missing_runs <= state.MAX_RUNS


def test_too_many_ids_count_up_to_max_runs() -> None:
    ids = [secrets.token_urlsafe(16) for _ in range(3 * state.MAX_RUNS)]
    at = open_with_ids(ids)
    at.switch_page("app_pages/runs.py").run()
    assert tab_state(at).n_missing_runs == state.MAX_RUNS
    assert f"{state.MAX_RUNS} run(s) in this page's address" in warnings_text(at)


def test_evicted_run_is_dropped_with_notice() -> None:
    at = trained_twice()
    first, second = (entry.run_id for entry in tab_state(at).runs)
    # Other tabs' trainings fill the registry, which evicts the oldest
    # finished runs first: run 1 goes, run 2 stays.
    registry = get_registry()
    data = tab_state(at).data
    config = TrainConfig(epochs=1)
    while registry.get(first) is not None:
        assert registry.get(second) is not None
        assert registry.start(data, config).job.join(timeout=JOB_TIMEOUT_S)
    assert len(registry) == MAX_JOBS

    reloaded = reload(at, "app_pages/runs.py")
    assert_clean(reloaded)
    tab = tab_state(reloaded)
    assert [entry.run_id for entry in tab.runs] == [second]
    assert tab.run_id == second
    assert tab.n_missing_runs == 1
    assert "1 run(s) in this page's address" in warnings_text(reloaded)
    assert url_ids(reloaded) == [second]


def test_missing_current_run_falls_back() -> None:
    at = trained_twice()
    first, second = (entry.run_id for entry in tab_state(at).runs)
    reloaded = open_with_ids(["gone-run", first, second])
    assert_clean(reloaded)
    tab = tab_state(reloaded)
    assert tab.run_id == second
    assert tab.model_run_id == second
    assert tab.missing_run_id == "gone-run"
    assert [entry.run_id for entry in tab.runs] == [first, second]
