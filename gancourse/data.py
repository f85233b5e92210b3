"""Image datasets as float tensors in [-1, 1] (the range of the generator's Tanh), and fast batches.

``load_images("digits")`` always works offline (scikit-learn ships 1,797 real 8×8 digits).
``mnist``, ``fashion-mnist`` and ``cifar10`` come from torchvision's checksummed downloads into
:func:`gancourse.config.data_dir`; an ``MNIST/raw`` folder holding only the test split's idx files
(as ``../shared/data`` does) is read directly.  A named dataset is never replaced by another one;
only ``"auto"`` chooses (MNIST when it can be had, else ``digits``) and prints what it chose and why.
Printed locations are relative to the data folder (``$GANCOURSE_DATA/…`` or ``data/…``), so stored
notebook outputs carry no path of the machine that ran them; error messages keep absolute paths.
"""

from __future__ import annotations

import gzip
import os
import socket
import threading
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import torch
import torch.nn.functional as F

from gancourse.config import data_dir

DATASETS = ("auto", "digits", "mnist", "fashion-mnist", "cifar10", "olivetti", "celeba", "faces-procedural")
#: CelebA images loaded when no ``limit`` is given (all 162,770 training faces take ~8 GB as float tensors)
CELEBA_DEFAULT_LIMIT = 20_000
SPLITS = ("train", "test", "auto")

_IDX_FILES = {  # torchvision's file names inside <root>/<Folder>/raw
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
_FOLDERS = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST"}


class DatasetUnavailableError(RuntimeError):
    """The requested dataset is neither on disk nor downloadable; the message says what to do."""


@dataclass
class ImageData:
    """Images (N, C, H, W) in [-1, 1], integer labels (N,), and where they came from."""

    images: torch.Tensor
    labels: torch.Tensor
    name: str
    split: str
    classes: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.images)

    def __repr__(self) -> str:
        c, h, w = self.images.shape[1:]
        return f"ImageData({self.name!r}, split={self.split!r}, n={len(self):,}, shape={c}×{h}×{w})"

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(self.images.shape[1:])

    def split_off(self, fraction: float, seed: int = 0) -> tuple["ImageData", "ImageData"]:
        """Split into (kept, held-out) parts with a seeded shuffle; ``fraction`` goes to held-out."""
        if not 0 < fraction < 1:
            raise ValueError(f"fraction must be strictly between 0 and 1, got {fraction}")
        order = torch.randperm(len(self), generator=torch.Generator().manual_seed(seed))
        cut = len(self) - int(round(fraction * len(self)))
        keep, held = order[:cut], order[cut:]
        make = lambda idx, tag: ImageData(self.images[idx], self.labels[idx], self.name, f"{self.split}/{tag}", self.classes)
        return make(keep, "kept"), make(held, "held-out")


def read_idx(path: Path) -> np.ndarray:
    """Read an idx file (the MNIST format), gzipped or not, into a NumPy array."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"{path} is not an unsigned-byte idx file (bad magic number {raw[:4]!r}).")
    ndim = raw[3]
    dims = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise ValueError(f"{path} is truncated: header says {dims}, found {data.size} values.")
    return data.reshape(dims).copy()  # frombuffer is read-only


def _find_idx(raw_dir: Path, stem: str) -> Path | None:
    for candidate in (raw_dir / stem, raw_dir / f"{stem}.gz"):
        if candidate.is_file():
            return candidate
    return None


def _available_idx_splits(raw_dir: Path) -> list[str]:
    return [s for s, (img, lab) in _IDX_FILES.items() if _find_idx(raw_dir, img) and _find_idx(raw_dir, lab)]


def _offline_help(name: str, root: Path) -> str:
    folder = root / _FOLDERS[name] / "raw" if name in _FOLDERS else root / "cifar-10-batches-py"
    return (
        f"Could not load {name!r}: it is not in {root} and downloading it failed (is this machine offline?). "
        f"Either connect to the internet, or copy the dataset files into {folder}"
        + (" (the idx files, .gz allowed)" if name in _FOLDERS else "")
        + ", or point $GANCOURSE_DATA at a folder that has them. "
        "The 'digits' dataset (scikit-learn's 1,797 real handwritten digits) always works offline."
    )


def _load_idx_dataset(name: str, split: str, root: Path, download: bool) -> tuple[np.ndarray, np.ndarray, str]:
    raw_dir = root / _FOLDERS[name] / "raw"
    on_disk = _available_idx_splits(raw_dir)
    if split == "auto":
        split = "train" if ("train" in on_disk or not on_disk) else on_disk[0]
    if split in on_disk:
        img, lab = (_find_idx(raw_dir, stem) for stem in _IDX_FILES[split])
        return read_idx(img), read_idx(lab), split
    if not download:
        raise DatasetUnavailableError(
            f"The {split} split of {name!r} is not in {raw_dir} (found: {on_disk or 'nothing'}) and download=False. "
            + ("Use split='auto' or split='test' to use what is there." if on_disk else "")
        )
    import torchvision

    cls = {"mnist": torchvision.datasets.MNIST, "fashion-mnist": torchvision.datasets.FashionMNIST}[name]
    try:
        ds = cls(str(root), train=(split == "train"), download=True)
    except Exception as exc:  # urllib / socket / checksum errors all mean "could not fetch"
        hint = f" The folder does hold the {on_disk} split: use split='auto' or split={on_disk[0]!r}." if on_disk else ""
        raise DatasetUnavailableError(_offline_help(name, root) + hint + f" (Underlying error: {exc})") from exc
    return ds.data.numpy(), ds.targets.numpy(), split


def _load_cifar10(split: str, root: Path, download: bool) -> tuple[np.ndarray, np.ndarray, str]:
    import torchvision

    split = "train" if split == "auto" else split
    try:
        ds = torchvision.datasets.CIFAR10(str(root), train=(split == "train"), download=download)
    except Exception as exc:
        raise DatasetUnavailableError(_offline_help("cifar10", root) + f" (Underlying error: {exc})") from exc
    return ds.data.transpose(0, 3, 1, 2), np.asarray(ds.targets), split


def _faces_help(name: str, folder: Path, exc: Exception) -> str:
    how = ("scikit-learn fetches the 400 Olivetti photos (about 4 MB) once into that folder"
           if name == "olivetti" else
           "torchvision's CelebA download (1.4 GB from Google Drive) needs the gdown package and is often refused "
           "for quota; otherwise put img_align_celeba/ and the list_*.txt files there by hand, as "
           "torchvision.datasets.CelebA expects")
    return (f"Could not load {name!r}: it is not in {folder} and downloading it failed (is this machine offline?). "
            f"With internet, {how}. The 'digits' dataset always works offline. (Underlying error: {exc})")


def _load_olivetti(split: str, root: Path, download: bool) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's Olivetti faces: 400 grey 64×64 photos, ten each of 40 people (AT&T Laboratories Cambridge)."""
    if split not in ("auto", "train"):
        raise ValueError("'olivetti' has a single split of 400 faces: use split='auto' (and ImageData.split_off to hold some out).")
    from sklearn.datasets import fetch_olivetti_faces

    folder = root / "olivetti"
    try:
        bunch = fetch_olivetti_faces(data_home=str(folder), download_if_missing=download)
    except Exception as exc:  # URLError offline; OSError when absent and download=False
        raise DatasetUnavailableError(_faces_help("olivetti", folder, exc)) from exc
    return (np.clip(bunch.images, 0, 1) * 255).round().astype(np.uint8), bunch.target


def _load_celeba(split: str, root: Path, download: bool, limit: int | None) -> tuple[np.ndarray, np.ndarray, str, str]:
    """CelebA faces, aligned, resized (shorter side 64) and centre-cropped to 3×64×64 as in the PyTorch DCGAN
    tutorial; only the first ``limit`` images are decoded.  Returns (pixels, labels, split, note)."""
    import torchvision
    from torchvision.transforms import v2

    split = "train" if split == "auto" else split
    folder = root / "celeba"
    try:
        dataset = torchvision.datasets.CelebA(str(root), split=split, target_type="identity", download=download)
    except Exception as exc:
        raise DatasetUnavailableError(_faces_help("celeba", folder, exc)) from exc
    n = min(len(dataset), limit or CELEBA_DEFAULT_LIMIT)
    note = "" if limit else (f"celeba: the first {n:,} of {len(dataset):,} {split} faces (CELEBA_DEFAULT_LIMIT; "
                             "pass limit=… for another number)")
    square = v2.Compose([v2.Resize(64), v2.CenterCrop(64)])
    pixels = np.stack([np.asarray(square(dataset[i][0]), dtype=np.uint8) for i in range(n)]).transpose(0, 3, 1, 2)
    return pixels, np.zeros(n, dtype=np.int64), split, note


def _load_digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    # 8×8 pixels with values 0..16; upsampled to MNIST's 28×28 so the same models fit both.
    images = torch.from_numpy(bunch.images).float().unsqueeze(1) / 16.0
    images = F.interpolate(images, size=(28, 28), mode="bilinear", align_corners=False)
    return (images.clamp(0, 1) * 255).round().to(torch.uint8).numpy(), bunch.target


def _shown(folder: Path, root: Path, given_root: str | Path | None) -> str:
    """``folder`` (inside ``root``) as printed: relative to the data folder, never a path of this machine."""
    if given_root is not None:
        base = str(given_root)  # the caller's own spelling of the folder it chose
    else:
        base = "$GANCOURSE_DATA" if os.environ.get("GANCOURSE_DATA") else "data"
    rel = folder.relative_to(root).as_posix()
    return base if rel == "." else f"{base}/{rel}"


def _reachable(urls: list[str], timeout: float = 2.0) -> bool:
    """True when a TCP connection to one of the ``urls``' hosts (or to the proxy urllib would use) opens.

    torchvision's download sets no timeout.  On this project's offline CI machines it fails in ~0.02 s
    (the DNS look-up fails at once), but where a firewall drops packets each mirror can hang for minutes,
    so ``"auto"`` asks this quick question first.  The look-up runs in a thread because socket timeouts do not cover DNS.
    """
    proxies = urllib.request.getproxies()
    targets = []
    for url in urls:
        parts = urlsplit(proxies.get(urlsplit(url).scheme, url))
        targets.append((parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)))
    targets = list(dict.fromkeys(targets))
    found = threading.Event()

    def probe() -> None:
        for target in targets:
            try:
                socket.create_connection(target, timeout=timeout).close()
            except OSError:
                continue
            found.set()
            return

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout * len(targets) + 1.0)
    return found.is_set()


def _load_auto(split: str, root: Path, download: bool, where: str) -> tuple[str, np.ndarray, np.ndarray, str, str]:
    """``"auto"``: MNIST when on disk (any split) or downloadable, else ``digits``.

    Returns (dataset, pixels, labels, split, the line that says what was chosen and why).
    """
    on_disk = _available_idx_splits(root / _FOLDERS["mnist"] / "raw")
    if on_disk and split in ("auto", *on_disk):
        pixels, labels, split = _load_idx_dataset("mnist", split, root, download=False)
        return "mnist", pixels, labels, split, f"DATASET='auto' → 'mnist' (on disk under {where})"
    import torchvision

    if not download:
        why = "download=False"
    elif not _reachable(torchvision.datasets.MNIST.mirrors):
        why = "could not be downloaded (no connection to its mirrors)"
    else:
        try:
            pixels, labels, split = _load_idx_dataset("mnist", split, root, download=True)
            return "mnist", pixels, labels, split, f"DATASET='auto' → 'mnist' (downloaded into {where})"
        except DatasetUnavailableError as exc:
            why = "could not be downloaded (" + " ".join(str(exc.__cause__ or exc).split()) + ")"  # one line
    missing = f"the {split} split of MNIST" if on_disk else "MNIST"
    note = (f"DATASET='auto': {missing} is not on disk under {where} and {why} → using 'digits' "
            "(scikit-learn's 1,797 real 8×8 digits, upsampled to 28×28)")
    if split == "test":  # digits has one split; handing it out as a test split would hide a train/test overlap
        raise DatasetUnavailableError(note + ", which has a single split: use split='auto' and ImageData.split_off.")
    pixels, labels = _load_digits()
    return "digits", pixels, labels, "all", note


_CLASSES = {
    "digits": tuple(str(i) for i in range(10)),
    "mnist": tuple(str(i) for i in range(10)),
    "fashion-mnist": ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
    "cifar10": ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"),
    "olivetti": tuple(f"person {i}" for i in range(40)),
    "celeba": ("face",),  # identities are not used as classes here: every label is 0
    "faces-procedural": ("hair: short", "hair: long", "hair: bald"),  # gancourse.faces.HAIR_STYLES
}


def load_images(
    name: str,
    split: str = "auto",
    *,
    root: str | Path | None = None,
    image_size: int | None = None,
    download: bool = True,
    limit: int | None = None,
    verbose: bool = True,
) -> ImageData:
    """Load an image dataset as float tensors in [-1, 1] with shape (N, C, H, W).

    name:   one of ``auto``, ``digits``, ``mnist``, ``fashion-mnist``, ``cifar10``, and the faces ``olivetti``
            (400 grey 64×64 photos, scikit-learn's fetcher) and ``celeba`` (3×64×64, torchvision), and
            ``faces-procedural`` (6,000 RGB cartoon faces drawn offline by :mod:`gancourse.faces`, 32×32 unless
            ``image_size`` says otherwise; labels = hair style).  ``auto`` is
            MNIST when it is on disk or downloadable, else ``digits``; it always prints which and why (even
            with ``verbose=False``), and the returned data carries the real name.
    split:  ``train``, ``test`` or ``auto`` (train when it can be had, else the split on disk — the
            message says which).  ``digits`` has a single split, reported as ``all``.
    image_size: resize to this square size (e.g. 32 for a 32×32 DCGAN); None keeps the native size.
    limit:  keep only the first ``limit`` images (for quick runs); CelebA decodes only those, and without a
            limit loads the first ``CELEBA_DEFAULT_LIMIT`` (it says so).
    """
    key = name.strip().lower().replace("_", "-")
    key = {"fashionmnist": "fashion-mnist", "cifar-10": "cifar10"}.get(key, key)
    if key not in DATASETS:
        raise ValueError(f"Unknown dataset {name!r}; valid names are {list(DATASETS)}.")
    if split not in SPLITS:
        raise ValueError(f"Unknown split {split!r}; valid splits are {list(SPLITS)}.")
    if image_size is not None and not (isinstance(image_size, int) and 8 <= image_size <= 256):
        raise ValueError(f"image_size must be an int between 8 and 256 (or None for the native size), got {image_size!r}")
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be a positive number of images, got {limit}")
    given_root = root
    root = Path(root).expanduser() if root is not None else data_dir()

    if key == "auto":
        where = _shown(root / _FOLDERS["mnist"] / "raw", root, given_root)
        key, pixels, labels, split, note = _load_auto(split, root, download, where)
        print(note)
        source = where if key == "mnist" else "scikit-learn (bundled, offline)"
    elif key == "digits":
        if split not in ("auto", "train"):
            raise ValueError("'digits' has a single split of 1,797 images: use split='auto' (and ImageData.split_off to hold some out).")
        pixels, labels = _load_digits()
        split, source = "all", "scikit-learn (bundled, offline)"
    elif key == "cifar10":
        pixels, labels, split = _load_cifar10(split, root, download)
        source = _shown(root, root, given_root)
    elif key == "olivetti":
        pixels, labels = _load_olivetti(split, root, download)
        split, source = "all", _shown(root / "olivetti", root, given_root)
    elif key == "faces-procedural":  # cartoon faces drawn by gancourse.faces, offline; labels = hair style
        from gancourse.faces import PROCEDURAL_COUNT, procedural_faces

        if split not in ("auto", "train"):
            raise ValueError("'faces-procedural' has a single split: use split='auto' (and ImageData.split_off to hold some out).")
        drawn, factors = procedural_faces(min(limit or PROCEDURAL_COUNT, PROCEDURAL_COUNT), seed=0, image_size=image_size or 32)
        pixels, labels = ((drawn + 1) * 127.5).round().to(torch.uint8).numpy(), factors["hair_style"]
        split, source = "all", "gancourse.faces (procedural cartoon faces, seed 0, drawn offline)"
    elif key == "celeba":
        pixels, labels, split, note = _load_celeba(split, root, download, limit)
        source = _shown(root / "celeba", root, given_root)
        if note:
            print(note)
    else:
        pixels, labels, split = _load_idx_dataset(key, split, root, download)
        source = _shown(root / _FOLDERS[key] / "raw", root, given_root)

    images = torch.from_numpy(np.ascontiguousarray(pixels)).float().div_(127.5).sub_(1.0)
    if images.ndim == 3:
        images = images.unsqueeze(1)
    labels = torch.as_tensor(np.asarray(labels), dtype=torch.long)
    if limit is not None:
        images, labels = images[:limit], labels[:limit]
    if image_size is not None and image_size != images.shape[-1]:
        images = F.interpolate(images, size=(image_size, image_size), mode="bilinear", antialias=True, align_corners=False).clamp_(-1, 1)
    data = ImageData(images, labels, key, split, _CLASSES[key])
    if verbose:
        c, h, w = data.shape
        print(f"Loaded {key} ({split} split): {len(data):,} images of {c}×{h}×{w} from {source}")
    return data


class Batches:
    """Endless, seeded, shuffled mini-batches from tensors held in memory (no DataLoader overhead).

    Each pass over the data is a new permutation; with ``drop_last`` every batch has the same size.
    Yields ``(images, labels)`` on ``device``.
    """

    def __init__(self, images: torch.Tensor, labels: torch.Tensor | None = None, batch_size: int = 128,
                 *, seed: int = 0, device: str | torch.device = "cpu", drop_last: bool = True):
        if labels is not None and len(labels) != len(images):
            raise ValueError(f"images and labels differ in length: {len(images)} vs {len(labels)}")
        if not 1 <= batch_size <= len(images):
            raise ValueError(f"batch_size must be between 1 and the number of images ({len(images)}), got {batch_size}")
        self.images = images.to(device)
        self.labels = None if labels is None else labels.to(device)
        self.batch_size, self.drop_last = batch_size, drop_last
        self.generator = torch.Generator().manual_seed(seed)

    @classmethod
    def from_data(cls, data: ImageData, batch_size: int = 128, **kwargs) -> "Batches":
        return cls(data.images, data.labels, batch_size, **kwargs)

    def __len__(self) -> int:
        """Batches per pass over the data."""
        full, rest = divmod(len(self.images), self.batch_size)
        return full + (0 if self.drop_last or rest == 0 else 1)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor | None]]:
        while True:
            order = torch.randperm(len(self.images), generator=self.generator).to(self.images.device)
            for start in range(0, len(self) * self.batch_size, self.batch_size):
                idx = order[start:start + self.batch_size]
                yield self.images[idx], (None if self.labels is None else self.labels[idx])
