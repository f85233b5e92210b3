"""pyproject, the lock file and environment.yml describe the same set of packages."""

import re
from pathlib import Path

from packaging.requirements import Requirement

try:
    import tomllib  # Python 3.11+
except ModuleNotFoundError:  # Python 3.10: the same parser, from PyPI (the test extra installs it there)
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
CONDA_NAMES = {"torch": "pytorch"}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pyproject_packages() -> set[str]:
    """The packages pyproject asks for on the Python the lock and environment.yml pin (environment markers,
    e.g. tomli's ``python_version < "3.11"``, are evaluated for that version)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = project["dependencies"] + [s for group in project["optional-dependencies"].values() for s in group]
    python = _conda()["python"]
    target = {"python_version": python, "python_full_version": f"{python}.0"}
    requirements = [Requirement(s) for s in specs]
    return {_norm(r.name) for r in requirements if r.marker is None or r.marker.evaluate(target)}


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
    conda.pop("python")
    expected = {_norm(CONDA_NAMES.get(p, p)) for p in _pyproject_packages()}
    assert set(conda) == expected
    for package in _pyproject_packages():
        assert conda[_norm(CONDA_NAMES.get(package, package))] == lock[package], package


def test_lock_uses_the_verified_torch_pair():
    lock = _lock()
    assert (lock["torch"], lock["torchvision"]) == ("2.14.1", "0.29.1")


def test_pyproject_ranges_admit_colab_and_floors_have_what_the_code_uses():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    ranges = {r.name: r.specifier for r in map(Requirement, project["dependencies"])}
    # Colab today: torch 2.11, torchvision 0.26, ipywidgets 7.7.1 (8.x too), Python 3.12/3.13
    for name, version in {"torch": "2.11", "torchvision": "0.26", "ipywidgets": "7.7.1"}.items():
        assert ranges[name].contains(version), (name, version)
    assert ranges["ipywidgets"].contains("8.1.9") and not ranges["ipywidgets"].contains("9.0")
    # optimizer="adam-fused" needs fused Adam on the CPU, which torch 2.4 introduced
    assert not ranges["torch"].contains("2.3.1") and ranges["torch"].contains("2.4.0")
    assert project["requires-python"] == ">=3.10"


def test_tomli_is_installed_exactly_where_tomllib_is_missing():
    test_extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["test"]
    tomli = next(r for r in map(Requirement, test_extra) if r.name == "tomli")
    assert tomli.marker.evaluate({"python_version": "3.10"}) and not tomli.marker.evaluate({"python_version": "3.11"})
