"""Checks of the project set-up: pins, CI entry point, README, layer rule."""

import ast
import os
import re
import subprocess
import sys
import textwrap
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest
from packaging.version import Version

PROJECT_ROOT = Path(__file__).resolve().parents[1]
CORE_DIR = PROJECT_ROOT / "core"
UI_PACKAGES = ("streamlit", "plotly")
PIN = re.compile(r"^(?P<name>[A-Za-z0-9_.-]+)==(?P<version>[A-Za-z0-9_.+-]+)$")


def requirement_lines(path: Path) -> list[str]:
    """Return the non-blank lines of a requirements file, without comments."""
    lines = []
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            lines.append(line)
    return lines


def test_requirements_pin_torch_exactly():
    lines = requirement_lines(PROJECT_ROOT / "requirements.txt")
    torch_lines = [line for line in lines if line.lower().startswith("torch")]
    assert torch_lines == ["torch==2.13.0"]


@pytest.mark.parametrize("filename", ["requirements.txt", "requirements-dev.txt"])
def test_requirements_pin_installed_versions(filename):
    for line in requirement_lines(PROJECT_ROOT / filename):
        if line == "-r requirements.txt":
            continue
        match = PIN.match(line)
        assert match, f"{filename}: {line!r} is not pinned as name==version"
        installed = Version(version(match["name"])).public
        assert installed == match["version"], f"{filename}: {line!r}"


def test_dev_requirements_include_app_requirements():
    lines = requirement_lines(PROJECT_ROOT / "requirements-dev.txt")
    assert "-r requirements.txt" in lines
    # A second torch line here could admit a release other than the pin.
    assert not [line for line in lines if line.lower().startswith("torch")]


def test_ci_run_calls_make_test():
    script = PROJECT_ROOT / ".ci" / "run"
    text = script.read_text()
    lines = [line.strip() for line in text.splitlines()]
    assert os.access(script, os.X_OK)
    assert lines[0] in ("#!/usr/bin/env bash", "#!/bin/bash")
    assert "set -euo pipefail" in lines
    assert "make test" in lines
    assert "|| true" not in text
    assert "set +e" not in text


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (
            "run",
            "-m streamlit run app.py --server.address 127.0.0.1 --server.port 8599",
        ),
        ("test", "-m pytest"),
    ],
)
def test_makefile_target_commands(target, expected):
    result = subprocess.run(
        ["make", "--dry-run", target, "PORT=8599"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert expected in result.stdout


def test_readme_documents_make_targets():
    text = (PROJECT_ROOT / "README.md").read_text()
    assert "make run" in text
    assert "make test" in text


def test_upload_limit_matches_read_limits():
    from core.data import ReadLimits

    config = tomllib.loads((PROJECT_ROOT / ".streamlit" / "config.toml").read_text())
    upload_mib = config["server"]["maxUploadSize"]
    # Streamlit counts maxUploadSize in units of 1024 * 1024 bytes.
    assert upload_mib * 1024 * 1024 == ReadLimits().max_bytes


# Run in a fresh interpreter, so modules that the test process already
# imported cannot hide an import of a blocked package.
CORE_IMPORT_SCRIPT = textwrap.dedent(
    """
    import importlib
    import importlib.abc
    import pkgutil
    import sys

    BLOCKED = {blocked!r}


    class BlockUIPackages(importlib.abc.MetaPathFinder):
        def find_spec(self, fullname, path=None, target=None):
            if fullname.split(".")[0] in BLOCKED:
                raise ImportError(f"core must not import {{fullname}}")
            return None


    sys.meta_path.insert(0, BlockUIPackages())
    import core

    for module in pkgutil.walk_packages(core.__path__, "core."):
        # core.__main__ runs the command line when imported, so it is left
        # out. core.cli, which it calls, is imported like every other module.
        if module.name != "core.__main__":
            importlib.import_module(module.name)
            print(module.name)
    """
).format(blocked=UI_PACKAGES)


def core_module_names() -> set[str]:
    """Return the dotted names of core's modules, found on disk."""
    return {
        "core." + ".".join(path.relative_to(CORE_DIR).with_suffix("").parts)
        for path in CORE_DIR.rglob("*.py")
        if path.stem not in ("__init__", "__main__")
    }


def test_core_imports_without_streamlit_and_plotly():
    result = subprocess.run(
        [sys.executable, "-c", CORE_IMPORT_SCRIPT],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    imported = set(result.stdout.split())
    assert imported == core_module_names()


@pytest.mark.parametrize(
    "path", sorted(CORE_DIR.rglob("*.py")), ids=lambda path: path.name
)
def test_core_source_has_no_ui_import(path):
    # Also finds imports inside functions, which the import test above
    # does not run.
    tree = ast.parse(path.read_text(), filename=str(path))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            imported.add(node.module.split(".")[0])
    assert not imported & set(UI_PACKAGES)
