"""The notebooks' widgets under Google Colab's ipywidgets 7.7.1, beside the project environment's 8.x.

Colab ships ipywidgets 7.7.1, which differs from 8.x in ways a test run under 8.x cannot see (7.7.1's
``interactive(f, …)`` does not call ``f`` when it is built; 8.x does).  ``make env`` installs 7.7.1 into
the folder ``ipywidgets7`` of the environment; first on ``PYTHONPATH``, it replaces 8.x.

Every widget the notebooks show is built here, each of its controls is driven once, and what would reach
the screen is written down: the widget's controls and their values, the figures its callbacks display
(their titles and a digest of their pixels), the images in it and the text it prints.  That record is made
twice, in two subprocesses, one per ipywidgets version.  The tests require that the first really imported
7.7.1, that every widget shows its picture at once (unless it waits for a button) and a new one after each
control, and that both versions show exactly the same.

Run as a script (``python tests/test_widgets_colab.py OUT.json``) this file writes that record; the
subprocesses do this.
"""

from __future__ import annotations

import ast
import difflib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
COLAB_IPYWIDGETS = "7.7.1"
#: where ``make env`` installs Colab's ipywidgets (pip --target), beside the environment's own packages
COLAB_IPYWIDGETS_DIR = Path(sys.prefix) / "ipywidgets7"
#: every function of the package that builds ipywidgets, with the notebook that shows it
WIDGETS = {
    "widgets.latent_explorer": "02",
    "theory.optimal_discriminator_widget": "03",
    "playground.playground_widget": "04",
    "latent.direction_explorer": "05",
    "codes.class_picker": "06",
    "quiz.RealOrFakeQuiz.widget": "08",
}
#: widgets that draw only when a button is pressed (the playground trains for seconds)
WAITS_FOR_A_BUTTON = {"playground.playground_widget"}
PLAYGROUND_TRAIN_STEPS = 250  # the shortest choice the widget offers, so the probe stays fast
#: the playground's controls, set to a short run that differs from the defaults in every control
PLAYGROUND_CHOICES = {"data": "grid", "objective": "hinge", "lr G": 3e-3, "lr D": 3e-3, "k (D steps)": 2,
                      "G steps": PLAYGROUND_TRAIN_STEPS, "seed": 1}


# ---- the probe: runs in the subprocess, under one ipywidgets version ------------------------------------
def _digest(data: bytes | str) -> str:
    import hashlib

    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()[:16]


def _figure_text(fig) -> str:
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    return "figure: " + " | ".join(titles)


def _small_png(fig) -> bytes:
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=24)
    return buffer.getvalue()


def _install_screen():
    """Make an IPython shell whose display publisher writes down what a notebook would show.

    Callbacks display their figures with ``IPython.display.display`` and clear with ``clear_output``; with
    no kernel (and so no front end to route them into an ``Output``) both reach the shell's publisher.
    Figures are formatted as a small PNG (enough to tell two pictures apart, and quick to render) and a text
    line with their titles.  A callback error that ipywidgets would only show inside the widget is written
    down too, so that the record shows it.
    """
    from IPython.core.displaypub import DisplayPublisher
    from IPython.core.interactiveshell import InteractiveShell
    from matplotlib.figure import Figure
    from traitlets.config import Config

    class RecordingPublisher(DisplayPublisher):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.events: list[str] = []

        def publish(self, data, *args, **kwargs):
            parts = [data["text/plain"]] if "text/plain" in data else []
            parts += [f"{mime} {_digest(value)}" for mime, value in sorted(data.items()) if mime.startswith("image/")]
            self.events.append(" · ".join(parts))

        def clear_output(self, wait=False):
            self.events.append("clear")

    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    shell = InteractiveShell.instance(config=config)
    shell.display_pub = RecordingPublisher(shell=shell)
    formatters = shell.display_formatter.formatters
    formatters["image/png"].for_type(Figure, _small_png)
    formatters["text/plain"].for_type(Figure, lambda fig, printer, cycle: printer.text(_figure_text(fig)))

    def keep_traceback(*args, **kwargs):
        import traceback

        shell.display_pub.events.append("callback error: " + traceback.format_exc())

    shell.showtraceback = keep_traceback
    return shell.display_pub


def _describe_widget(widget, depth: int = 0) -> list[str]:
    """One line per widget in the tree, with what a student sees of it (no model ids, no layout)."""
    import ipywidgets

    line = "  " * depth + type(widget).__name__
    if isinstance(widget, ipywidgets.Image):
        line += f" png {_digest(widget.value)}"
    elif isinstance(widget, ipywidgets.Output):
        for output in widget.outputs:
            data = output.get("data", {})
            line += " | " + ", ".join(f"{mime} {_digest(data[mime])}" for mime in sorted(data)
                                      if mime.startswith("image/"))
    elif not isinstance(widget, ipywidgets.Box):
        line += "".join(f" {trait}={getattr(widget, trait)!r}"
                        for trait in ("description", "label", "value", "disabled") if widget.has_trait(trait))
    lines = [line]
    for child in getattr(widget, "children", ()):
        lines += _describe_widget(child, depth + 1)
    return lines


def _held_images(widget) -> list[str]:
    """Digests of the images a widget holds itself (an ``Image``, or pictures stored in an ``Output``)."""
    import ipywidgets

    if isinstance(widget, ipywidgets.Image):
        return [_digest(widget.value)]
    if isinstance(widget, ipywidgets.Output):
        return [_digest(value) for output in widget.outputs for mime, value in sorted(output.get("data", {}).items())
                if mime.startswith("image/")]
    return [digest for child in getattr(widget, "children", ()) for digest in _held_images(child)]


def _controls(widget) -> list:
    """The widget's sliders, dropdowns and buttons, in the order a reader meets them."""
    import ipywidgets

    kinds = (ipywidgets.FloatSlider, ipywidgets.IntSlider, ipywidgets.Dropdown, ipywidgets.Button)
    found = [widget] if isinstance(widget, kinds) else []
    for child in getattr(widget, "children", ()):
        found += _controls(child)
    return found


def _drive(control, choices: dict) -> str:
    """Move ``control`` once (its entry in ``choices``, else another value) or click it; says what was done."""
    import ipywidgets

    if isinstance(control, ipywidgets.Button):
        control.click()
        return f"click {control.description!r}"
    if control.description in choices:
        control.value = choices[control.description]
    elif isinstance(control, ipywidgets.Dropdown):
        values = [option[1] if isinstance(option, tuple) else option for option in control.options]
        control.value = values[(values.index(control.value) + 1) % len(values)]
    else:
        control.value = control.max if control.value != control.max else control.min
    return f"set {control.description!r} to {control.value!r}"


def _record(build, screen, choices: dict) -> list[dict]:
    """Build a widget, then drive each control once; after each step, what the screen shows.

    ``picture`` is what the picture area shows: the figures displayed in this step, else the images the
    widget holds (the class picker and the quiz keep theirs in the widget instead of displaying a figure).
    """
    import contextlib
    import io
    import re

    import matplotlib.pyplot as plt

    def run(action, widget=None) -> tuple[object, dict]:
        screen.events.clear()
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            result = action()
        widget = widget if widget is not None else result
        shown = list(screen.events)
        if printed.getvalue().strip():  # the run time differs between runs; the rest must not
            shown.append("printed: " + re.sub(r"in \d+(\.\d+)? s\b", "in <time> s", printed.getvalue().strip()))
        figures = [event.rsplit("image/png ", 1)[1] for event in shown if "image/png " in event]
        step = {"shown": shown, "widget": _describe_widget(widget), "picture": figures or _held_images(widget),
                "figures_left_open": len(plt.get_fignums())}
        plt.close("all")
        return result, step

    widget, built = run(build)
    steps = [{"step": "build", **built}]
    for control in _controls(widget):
        done, step = run(lambda control=control: _drive(control, choices), widget)
        steps.append({"step": done, **step})
    return steps


def record_widgets() -> dict:
    """Build every widget of :data:`WIDGETS` with small seeded models and drive it; the record, as plain data."""
    import ipywidgets
    import matplotlib

    matplotlib.use("agg")
    import torch

    from gancourse import codes, latent, playground, quiz, theory, widgets
    from gancourse.models import DCGANGenerator, MLPGenerator

    torch.set_num_threads(1)
    screen = _install_screen()
    torch.manual_seed(0)
    small_generator = MLPGenerator(4, (1, 8, 8), hidden=(16,))
    dcgan = DCGANGenerator(8, width=4)

    def draw_digits(digit: int, count: int) -> torch.Tensor:  # a different picture for every digit
        ramp = torch.linspace(-1, 1, 64).reshape(1, 1, 8, 8)
        offsets = torch.arange(count).reshape(-1, 1, 1, 1) / count
        return (ramp * (digit + 1) / 10).repeat(count, 1, 1, 1) + offsets - 0.5

    def read_as_zeros(images: torch.Tensor) -> torch.Tensor:  # a classifier that always reads "0"
        return torch.zeros(len(images), dtype=torch.long)

    real = torch.linspace(-1, 1, 6 * 64).reshape(6, 1, 8, 8)
    fake = torch.tanh(torch.randn(6, 1, 8, 8, generator=torch.Generator().manual_seed(1)))
    builders = {
        "widgets.latent_explorer": lambda: widgets.latent_explorer(small_generator,
                                                                   torch.tensor([0.5, -4.0, 1.0, 2.0])),
        "theory.optimal_discriminator_widget": theory.optimal_discriminator_widget,
        "playground.playground_widget": playground.playground_widget,
        "latent.direction_explorer": lambda: latent.direction_explorer(dcgan, torch.zeros(8), torch.eye(8)[:2]),
        "codes.class_picker": lambda: codes.class_picker(draw_digits, count=3, judge=read_as_zeros),
        "quiz.RealOrFakeQuiz.widget": lambda: quiz.RealOrFakeQuiz(real, fake, rounds=4, seed=0).widget(scale=2),
    }
    choices = {"playground.playground_widget": PLAYGROUND_CHOICES}
    return {"ipywidgets": ipywidgets.__version__, "ipywidgets_file": ipywidgets.__file__,
            "widgets": {name: _record(build, screen, choices.get(name, {})) for name, build in builders.items()}}


# ---- the tests: run the probe under both versions ---------------------------------------------------------
def _probe_environment(first_on_path: Path | None, ipython_dir: Path) -> dict:
    env = dict(os.environ, MPLBACKEND="agg", OMP_NUM_THREADS="1", IPYTHONDIR=str(ipython_dir))
    rest = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and Path(p) != COLAB_IPYWIDGETS_DIR]
    env["PYTHONPATH"] = os.pathsep.join(([str(first_on_path)] if first_on_path else []) + rest)
    return env


@pytest.fixture(scope="module")
def records(tmp_path_factory) -> dict:
    """The probe's record under ipywidgets 7.7.1 ("7") and under the environment's 8.x ("8"), run side by side."""
    if not (COLAB_IPYWIDGETS_DIR / "ipywidgets").is_dir():
        pytest.fail(f"Colab's ipywidgets {COLAB_IPYWIDGETS} is not installed in the environment's folder "
                    f"{COLAB_IPYWIDGETS_DIR.name}/: run `make env` (it installs it there with pip --target), "
                    "then run these tests again.")
    folder = tmp_path_factory.mktemp("widgets_colab")
    runs = {}
    for version, first in (("7", COLAB_IPYWIDGETS_DIR), ("8", None)):
        out = folder / f"record{version}.json"
        runs[version] = (out, subprocess.Popen([sys.executable, __file__, str(out)], cwd=REPO, text=True,
                                               env=_probe_environment(first, folder / f"ipython{version}"),
                                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT))
    found = {}
    for version, (out, process) in runs.items():
        try:
            output, _ = process.communicate(timeout=300)
        except subprocess.TimeoutExpired:
            process.kill()
            output = process.communicate()[0] + "\n(stopped after 300 s)"
        if process.returncode != 0 or not out.exists():
            pytest.fail(f"the widget probe under ipywidgets {version}.x failed "
                        f"(exit code {process.returncode}):\n{output}")
        found[version] = json.loads(out.read_text())
    return found


def test_the_probe_imported_colabs_ipywidgets_from_its_folder(records):
    assert records["7"]["ipywidgets"] == COLAB_IPYWIDGETS
    assert Path(records["7"]["ipywidgets_file"]).resolve().is_relative_to(COLAB_IPYWIDGETS_DIR.resolve())
    assert records["8"]["ipywidgets"].split(".")[0] == "8"


def _functions_importing_ipywidgets(node, prefix: str) -> list[str]:
    """Qualified names of the functions and methods under ``node`` that import ipywidgets (the package imports
    it inside the function that builds a widget, so that the rest works without it)."""
    found = []
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.ClassDef):
            found += _functions_importing_ipywidgets(child, f"{prefix}{child.name}.")
        elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
            imports = [n for n in ast.walk(child) if isinstance(n, (ast.Import, ast.ImportFrom))]
            modules = [n.module or "" for n in imports if isinstance(n, ast.ImportFrom)]
            modules += [alias.name for n in imports if isinstance(n, ast.Import) for alias in n.names]
            if any(module.split(".")[0] == "ipywidgets" for module in modules):
                found.append(f"{prefix}{child.name}")
    return found


def test_every_widget_of_the_package_is_probed_and_shown_in_its_notebook():
    """A new widget in the package must be added to WIDGETS, and so be checked under 7.7.1 too."""
    package = REPO / "gancourse"
    builders = set()
    for path in package.rglob("*.py"):
        module = ".".join(path.relative_to(package).with_suffix("").parts)
        builders.update(_functions_importing_ipywidgets(ast.parse(path.read_text(encoding="utf-8")), f"{module}."))
    assert builders == set(WIDGETS)
    for name, number in WIDGETS.items():
        [notebook] = (REPO / "notebooks").glob(f"{number}_*.ipynb")
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        code = "\n".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "code")
        assert f"{name.rsplit('.', 1)[1]}(" in code, f"{notebook.name} does not show {name}; correct WIDGETS"


@pytest.mark.parametrize("version", ["7", "8"])
@pytest.mark.parametrize("name", sorted(WIDGETS))
def test_widget_shows_a_picture_when_built_and_a_new_one_after_each_control(records, version, name):
    steps = records[version]["widgets"][name]
    context = f"{name} under ipywidgets {records[version]['ipywidgets']}:\n"
    context += json.dumps(steps, indent=1, ensure_ascii=False)
    assert not [event for step in steps for event in step["shown"] if event.startswith("callback error")], context
    assert all(step["figures_left_open"] == 0 for step in steps), "a callback left its figure open\n" + context
    build, moves = steps[0], steps[1:]
    assert moves, context
    if name in WAITS_FOR_A_BUTTON:
        *settings, press = moves
        assert not any(step["picture"] for step in [build, *settings]), "drew before its button was pressed\n" + context
        assert press["step"] == "click 'train'" and len(press["picture"]) == 1, context
        trained = f"{PLAYGROUND_TRAIN_STEPS} of {PLAYGROUND_TRAIN_STEPS} generator steps"
        assert any(trained in event for event in press["shown"]), context
        return
    assert build["picture"], "shows nothing until a control is moved\n" + context
    for before, after in zip(steps, moves):
        changed = after["picture"] and after["picture"] != before["picture"]
        assert changed, f"no new picture after {after['step']!r}\n{context}"


def test_widgets_show_the_same_under_ipywidgets_7_and_8(records):
    seven, eight = (json.dumps(records[v]["widgets"], indent=1, ensure_ascii=False).splitlines() for v in ("7", "8"))
    difference = "\n".join(difflib.unified_diff(eight, seven, "ipywidgets 8.x", f"ipywidgets {COLAB_IPYWIDGETS}",
                                                lineterm=""))
    assert not difference, "the widgets differ between the two ipywidgets versions:\n" + difference


if __name__ == "__main__":
    Path(sys.argv[1]).write_text(json.dumps(record_widgets(), indent=1, ensure_ascii=False), encoding="utf-8")
