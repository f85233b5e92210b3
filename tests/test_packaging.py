"""pyproject, the lock file and environment.yml describe the same set of packages."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONDA_NAMES = {"torch": "pytorch"}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pyproject_packages() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = project["dependencies"] + [s for group in project["optional-dependencies"].values() for s in group]
    return {_norm(re.split(r"[<>=!~\[; ]", s, maxsplit=1)[0]) for s in specs}


def _lock() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements-lock.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            pins[_norm(name)] = version
    return pins


def _conda() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "environment.yml").read_text().splitlines():
        m = re.match(r"\s+- ([A-Za-z0-9_.-]+)=([0-9][^\s]*)$", line)
        if m:
            pins[_norm(m.group(1))] = m.group(2)
    return pins


def test_every_dependency_is_pinned_in_the_lock():
    lock = _lock()
    missing = _pyproject_packages() - set(lock)
    assert not missing, f"pyproject names packages the lock does not pin: {missing}"


def test_environment_yml_has_the_same_packages_and_versions():
    lock, conda = _lock(), _conda()
    conda.pop("python", None)
    expected = {_norm(CONDA_NAMES.get(p, p)) for p in _pyproject_packages()}
    assert set(conda) == expected
    for package in _pyproject_packages():
        assert conda[_norm(CONDA_NAMES.get(package, package))] == lock[package], package


def test_lock_uses_the_verified_torch_pair():
    lock = _lock()
    assert (lock["torch"], lock["torchvision"]) == ("2.14.1", "0.29.1")


def test_pyproject_ranges_admit_colab():
    # Colab today: torch 2.11, torchvision 0.26, ipywidgets 7.7.1, Python 3.12/3.13
    text = (ROOT / "pyproject.toml").read_text()
    assert '"torch>=2.1"' in text and '"torchvision>=0.16"' in text and '"ipywidgets>=7.7,<9"' in text
    assert 'requires-python = ">=3.10"' in text
