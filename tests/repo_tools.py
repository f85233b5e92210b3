"""The repository's tools/ scripts, imported by the tests that check them (they are scripts, not a package)."""

import importlib.util
import sys
from pathlib import Path

TOOLS = Path(__file__).resolve().parent.parent / "tools"


def load_tool(name: str):
    """tools/<name>.py as a module, loaded once per test process."""
    module_name = f"course_tool_{name}"
    if module_name not in sys.modules:
        spec = importlib.util.spec_from_file_location(module_name, TOOLS / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module  # before running it: a dataclass looks its module up there
        spec.loader.exec_module(module)
    return sys.modules[module_name]
