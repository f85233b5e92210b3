"""pyproject, the lock file and environment.yml describe the same set of packages."""

import re
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from gancourse import course

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


# ---- repo2docker (Binder, JupyterHub images): what it reads agrees with pyproject and the lock --------------------

def _environment_yml() -> dict:
    yaml = pytest.importorskip("yaml", reason="PyYAML (in requirements-lock.txt) parses environment.yml here")
    return yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))


def _pip_section(environment: dict) -> list[str]:
    sections = [d["pip"] for d in environment["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert len(sections) == 1, "environment.yml: one `pip:` section installs the course package"
    return sections[0]


def test_repo2docker_reads_the_root_environment_yml():
    # a binder/ or .binder/ folder, or a Dockerfile, would make repo2docker ignore the root environment.yml
    shadows = [name for name in ("binder", ".binder", "Dockerfile") if (ROOT / name).exists()]
    assert not shadows, f"repo2docker would build from {shadows} instead of environment.yml"
    assert _environment_yml()["channels"] == ["conda-forge"]
    post_build = ROOT / "postBuild"
    if post_build.exists():
        text = post_build.read_text(encoding="utf-8")
        assert text.startswith("#!/bin/bash\n") and "set -e" in text, "postBuild: '#!/bin/bash' and 'set -e'"
        assert post_build.stat().st_mode & 0o111, "postBuild must be executable (git update-index --chmod=+x)"


def test_repo2docker_python_is_the_locks():
    lock_header = (ROOT / "requirements-lock.txt").read_text().split("\n", 1)[0]
    tested = re.search(r"Python (\d+\.\d+)", lock_header)
    assert tested, f"the lock's first line must say which Python it was tested on, got {lock_header!r}"
    # repo2docker's own rule: the first `python=X.Y` dependency picks the image's Python
    pythons = [d for d in _environment_yml()["dependencies"] if isinstance(d, str) and re.match(r"python\s*=", d)]
    assert pythons == [f"python={tested.group(1)}"], (pythons, tested.group(1))
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert SpecifierSet(requires).contains(f"{tested.group(1)}.0"), (requires, tested.group(1))


def test_repo2docker_installs_the_package_after_copying_the_repository():
    # repo2docker builds the conda environment before copying the repository unless the pip section names a
    # local path ('.', './…', file://); '.' does, so the package is installed from the checkout. Not editable:
    # a JupyterHub mounts each student's home volume over the image's copy of the repository.
    pip = _pip_section(_environment_yml())
    assert pip == ["."], f"environment.yml's pip section installs the course package (a copy) only, got {pip}"
    conda = _conda()
    for classroom_need in ("jupyterlab", "jupyterlab-rise", "ipywidgets", "ipykernel"):
        assert classroom_need in conda, f"environment.yml: {classroom_need} (JupyterLab with slides and widgets)"


# ---- gancourse.course: the repository address comes from the installed metadata ------------------------------------

class _FakeMetadata:
    def __init__(self, project_urls):
        self.project_urls = project_urls

    def get_all(self, key):
        return self.project_urls if key == "Project-URL" else None


class _FakeDistribution:
    def __init__(self, project_urls):
        self.metadata = _FakeMetadata(project_urls)


@pytest.fixture
def installed(monkeypatch):
    """Pretend the installed gancourse has these Project-URL entries (None: not installed)."""
    def use(project_urls):
        def distribution(name):
            if project_urls is None:
                raise metadata.PackageNotFoundError(name)
            return _FakeDistribution(project_urls)
        monkeypatch.setattr(course.metadata, "distribution", distribution)
        course.repository_url.cache_clear()
    yield use
    course.repository_url.cache_clear()


def test_course_addresses_come_from_the_project_urls(installed):
    installed(["Homepage, https://example.org", "Repository, https://github.com/someone/fork/"])
    assert course.repository() == "someone/fork"
    assert course.install_spec() == "gancourse @ git+https://github.com/someone/fork@main"
    assert course.colab_url("notebooks/01.ipynb") == \
        "https://colab.research.google.com/github/someone/fork/blob/main/notebooks/01.ipynb"


@pytest.mark.parametrize("project_urls, message", [
    (None, r"not installed.*pip install -e \."),
    (["Homepage, https://github.com/a/b"], r"no 'Repository' project URL.*reinstall"),
    (["Repository, https://gitlab.com/a/b"], r"must be a GitHub repository address"),
])
def test_course_says_what_to_do_when_the_address_is_unknown(installed, project_urls, message):
    installed(project_urls)
    with pytest.raises(course.CourseMetadataError, match=message):
        course.colab_url("notebooks/01.ipynb")
