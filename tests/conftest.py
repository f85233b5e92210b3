import os

os.environ.setdefault("MPLBACKEND", "agg")

import matplotlib
import pytest
import torch

matplotlib.use("agg")
# pytest-xdist runs two workers on two cores: one thread each avoids oversubscription.
torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.fixture
def shared_mnist_root():
    """The folder holding MNIST/raw with only the test split (../shared/data), or skip."""
    from pathlib import Path

    env = os.environ.get("GANCOURSE_DATA")
    candidates = [Path(env)] if env else []
    candidates.append(Path(__file__).resolve().parents[2] / "shared" / "data")
    for root in candidates:
        if (root / "MNIST" / "raw").is_dir():
            return root
    pytest.skip("no MNIST idx folder available (set GANCOURSE_DATA)")
