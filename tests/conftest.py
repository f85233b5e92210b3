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
    """The folder holding MNIST/raw with the test split's idx files ($GANCOURSE_DATA or ../shared/data), or skip.

    Only tests about the MNIST files themselves use this; the others use ``"auto"``/``digits`` and run offline.
    """
    from pathlib import Path

    from gancourse.data import _available_idx_splits

    env = os.environ.get("GANCOURSE_DATA")
    candidates = [Path(env)] if env else []
    candidates.append(Path(__file__).resolve().parents[2] / "shared" / "data")
    for root in candidates:
        # the files, not the folder: a failed torchvision download leaves an empty MNIST/raw behind
        if "test" in _available_idx_splits(root / "MNIST" / "raw"):
            return root
    pytest.skip("MNIST test split not found: no t10k idx files in " + " or ".join(str(r / "MNIST" / "raw") for r in candidates))
