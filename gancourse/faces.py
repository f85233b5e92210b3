"""Faces for the DCGAN of notebook 09: real photos with internet, else a procedural cartoon-faces dataset.

Real face datasets (CelebA, Olivetti) download at run time, so an offline machine cannot have them.
:func:`procedural_faces` draws simple cartoon faces instead, deterministic from a seed, with every
factor of variation known: face shape (width and height of the oval), skin colour, hair colour and
style (short, long, bald), eye spacing, size and colour, mouth width and curvature (smile or frown), and
the background colour.  It is a *substitute named honestly*: a GAN that learns it shows what a DCGAN does
with faces, not that it can draw real people.  :func:`load_faces` picks real photos when it can.
"""

from __future__ import annotations

import math

import numpy as np
import torch

__all__ = ["HAIR_STYLES", "FACTORS", "PROCEDURAL_COUNT", "procedural_faces", "load_faces", "FACES_CHOICES"]

#: How many faces ``load_images("faces-procedural")`` draws (seed 0); ``limit`` keeps fewer.
PROCEDURAL_COUNT = 6000

HAIR_STYLES = ("short", "long", "bald")
#: The random factors of each face, as returned by :func:`procedural_faces` (all in [0, 1] unless integer).
FACTORS = ("face_width", "face_height", "skin", "hair_style", "hair_colour", "eye_spacing", "eye_size",
           "eye_colour", "mouth_width", "smile", "background")
FACES_CHOICES = ("auto", "faces-procedural", "olivetti", "celeba")

_SKIN = np.array([[255, 224, 196], [241, 194, 125], [224, 172, 105], [198, 134, 66], [141, 85, 36]], float) / 255
_HAIR = np.array([[20, 20, 20], [90, 56, 37], [160, 110, 60], [230, 200, 120], [170, 60, 30], [150, 150, 150]], float) / 255
_EYES = np.array([[40, 30, 20], [60, 110, 170], [70, 130, 80]], float) / 255


def _ellipse(x, y, cx, cy, rx, ry):
    """Inside-mask of axis-aligned ellipses; the arguments broadcast as (N, 1, 1) against the (H, W) grid."""
    return ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1.0


def _paint(canvas, mask, colour):
    """canvas (N, H, W, 3) ← colour (N, 3) where mask (N, H, W)."""
    np.copyto(canvas, colour[:, None, None, :].astype(canvas.dtype), where=mask[..., None])


def procedural_faces(n: int, *, seed: int = 0, image_size: int = 32, supersample: int = 2
                     ) -> tuple[torch.Tensor, dict[str, np.ndarray]]:
    """``n`` cartoon faces of shape (n, 3, image_size, image_size) in [-1, 1] and their factors.

    Each face is drawn at ``supersample`` times the size and averaged down (anti-aliasing).  The same
    ``seed``, ``n`` and ``image_size`` always give the same images; the global random state is not touched.
    Returns ``(images, factors)`` with one array of length ``n`` per name in :data:`FACTORS`.
    """
    if not (isinstance(n, int) and n >= 1):
        raise ValueError(f"n must be a positive number of faces, got {n!r}")
    if not (isinstance(image_size, int) and 16 <= image_size <= 128):
        raise ValueError(f"image_size must be an int between 16 and 128, got {image_size!r}")
    if not (isinstance(supersample, int) and 1 <= supersample <= 8):
        raise ValueError(f"supersample must be an int between 1 and 8, got {supersample!r}")
    rng = np.random.default_rng(seed)
    f = {
        "face_width": rng.uniform(0.26, 0.36, n), "face_height": rng.uniform(0.32, 0.42, n),
        "skin": rng.integers(0, len(_SKIN), n), "hair_style": rng.integers(0, len(HAIR_STYLES), n),
        "hair_colour": rng.integers(0, len(_HAIR), n), "eye_spacing": rng.uniform(0.09, 0.15, n),
        "eye_size": rng.uniform(0.025, 0.05, n), "eye_colour": rng.integers(0, len(_EYES), n),
        "mouth_width": rng.uniform(0.08, 0.16, n), "smile": rng.uniform(-1.0, 1.0, n),
        "background": rng.uniform(0.0, 1.0, n),
    }
    skin = np.clip(_SKIN[f["skin"]] + rng.normal(0, 0.03, (n, 3)), 0, 1)
    hair = np.clip(_HAIR[f["hair_colour"]] + rng.normal(0, 0.03, (n, 3)), 0, 1)
    # background: a hue on a muted colour wheel
    hue = 2 * math.pi * f["background"]
    background = 0.6 + 0.25 * np.stack([np.cos(hue), np.cos(hue - 2.1), np.cos(hue + 2.1)], 1)

    big = image_size * supersample
    coords = ((np.arange(big) + 0.5) / big).astype(np.float32)
    y, x = coords[None, :, None], coords[None, None, :]
    col = lambda v: v[:, None, None].astype(np.float32)  # noqa: E731 — (N,) → (N, 1, 1) for broadcasting
    cx, cy = 0.5, 0.54
    rx, ry = col(f["face_width"]), col(f["face_height"])
    out = np.empty((n, 3, image_size, image_size), np.float32)
    for start in range(0, n, 256):  # chunks keep the supersampled canvas small
        s = slice(start, min(n, start + 256))
        m = s.stop - s.start
        canvas = np.broadcast_to(background[s, None, None, :].astype(np.float32), (m, big, big, 3)).copy()
        rxs, rys, style = rx[s], ry[s], col(f["hair_style"][s])
        # long hair: a wide oval behind the head reaching below the chin line
        _paint(canvas, _ellipse(x, y, cx, cy + 0.04, rxs * 1.35, rys * 1.15) & (style == 1), hair[s])
        # the head, then short / long hair as a cap over its upper part
        _paint(canvas, _ellipse(x, y, cx, cy, rxs, rys), skin[s])
        cap = _ellipse(x, y, cx, cy - 0.03, rxs * 1.08, rys * 1.02) & (y < cy - rys * 0.45)
        _paint(canvas, cap & (style != 2), hair[s])
        # eyes: white, then a coloured iris
        spacing, size, eye_y = col(f["eye_spacing"][s]), col(f["eye_size"][s]), cy - 0.06
        for side in (-1, 1):
            _paint(canvas, _ellipse(x, y, cx + side * spacing, eye_y, size * 1.5, size), np.ones((m, 3)))
            _paint(canvas, _ellipse(x, y, cx + side * spacing, eye_y, size * 0.8, size * 0.8), _EYES[f["eye_colour"][s]])
        # mouth: a parabola y = mouth_y − smile · k · (1 − (dx / w)²), drawn as a thick line
        width, smile = col(f["mouth_width"][s]), col(f["smile"][s])
        mouth_y = cy + rys * 0.5
        t = (x - cx) / width
        curve = mouth_y + smile * 0.04 * (1 - t ** 2)  # the corners stay at mouth_y; smile > 0 bends the middle down
        mouth = (np.abs(t) <= 1) & (np.abs(y - curve) <= 0.012 + 0.004 * (1 - t ** 2))
        _paint(canvas, mouth, np.tile([[0.55, 0.1, 0.15]], (m, 1)))
        small = canvas.reshape(m, image_size, supersample, image_size, supersample, 3).mean((2, 4))
        out[s] = small.transpose(0, 3, 1, 2)
    images = torch.from_numpy(out).mul_(2).sub_(1).clamp_(-1, 1)
    return images, f


def _olivetti_reachable() -> bool:
    from gancourse.data import _reachable

    return _reachable(["https://ndownloader.figshare.com/files/5976027"])


def load_faces(name: str = "auto", *, image_size: int = 32, limit: int | None = None):
    """Faces as :class:`gancourse.data.ImageData` in [-1, 1]; prints what was loaded and why.

    ``"auto"``: the Olivetti photos when they are on disk or can be downloaded (400 real grey faces, 4 MB),
    else the procedural faces (offline).  ``"faces-procedural"``, ``"olivetti"`` and ``"celeba"`` ask for one
    of them; a real dataset that cannot be had raises :class:`gancourse.data.DatasetUnavailableError`.
    ``image_size`` and ``limit`` (keep the first ``limit`` faces) apply to all.
    """
    from gancourse.data import DatasetUnavailableError, load_images

    key = name.strip().lower()
    if key not in FACES_CHOICES:
        raise ValueError(f"Unknown faces dataset {name!r}; valid names are {list(FACES_CHOICES)}.")
    if key == "auto":
        try:
            data = load_images("olivetti", image_size=image_size, download=False, limit=limit, verbose=False)
            print("FACES='auto' → 'olivetti' (on disk): 400 real photos of 40 people")
            return data
        except DatasetUnavailableError:
            pass
        if _olivetti_reachable():
            try:
                data = load_images("olivetti", image_size=image_size, limit=limit, verbose=False)
                print("FACES='auto' → 'olivetti' (downloaded): 400 real photos of 40 people")
                return data
            except DatasetUnavailableError:
                pass
        print("FACES='auto': no real face photos on disk and none downloadable (offline) → 'faces-procedural', "
              "cartoon faces drawn by gancourse.faces (not photos)")
        key = "faces-procedural"
    if key == "faces-procedural":
        return load_images("faces-procedural", image_size=image_size, limit=limit)
    return load_images(key, image_size=image_size, limit=limit)
