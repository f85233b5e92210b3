"""gancourse: the helpers behind the notebooks of an open course on Generative Adversarial Networks.

Each module holds one concept: ``config`` (seeds, device, FAST mode, data folder), ``toy`` (1-D and 2-D
toy distributions), ``data`` (image datasets and in-memory batches), ``models``, ``losses``,
``training`` (the trainer and its history), ``checkpoints``, ``viz`` (plots), ``theory``,
``metrics``, ``widgets`` and ``checks`` (exercise feedback).
"""

from gancourse.config import data_dir, fast_mode, get_device, seed_everything

__version__ = "0.1.0"

__all__ = ["data_dir", "fast_mode", "get_device", "seed_everything", "__version__"]
