"""Cluster labels for unlabelled images (PCA → t-SNE → k-means), the labels a self-conditioned GAN learns from.

A self-conditioned GAN (:cite:`liu2020selfconditioned`) is an unconditional model: it never sees a label.  It
clusters its training images once, trains a conditional GAN on the cluster numbers and draws new images with the
cluster number drawn in the clusters' shares.  The clusters hand D the split into groups that a conditional GAN
gets from its labels; without them one continuous G must cover ten disconnected digits and draws in-between
images where it crosses from one to another.  t-SNE (:cite:`vandermaaten2008tsne`) keeps each image's nearest
neighbours together, so k-means on its 2-D map finds groups that follow the digits far better than k-means on the
pixels (on the 6,000 MNIST images of ``bench mnist``: 81 % of each cluster is one digit, against 60 % for
k-means on the pixels' 50 principal components).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch


@dataclass
class Clusters:
    """Cluster number of each image, the clusters' shares (sizes ÷ n) and the seconds the clustering took."""

    labels: torch.Tensor
    shares: tuple[float, ...]
    seconds: float

    def purity(self, classes: torch.Tensor) -> float:
        """The share of images that belong to their cluster's most common class — only to *judge* the
        clustering against labels it never saw."""
        if classes.shape != self.labels.shape:
            raise ValueError(f"classes must hold one label per clustered image ({tuple(self.labels.shape)}), "
                             f"got shape {tuple(classes.shape)}")
        counts = torch.zeros(len(self.shares), int(classes.max()) + 1)
        counts.index_put_((self.labels, classes.long()), torch.ones(len(classes)), accumulate=True)
        return float(counts.max(1).values.sum() / len(classes))


def cluster_images(images: torch.Tensor, k: int = 10, *, seed: int = 0, pca_dims: int = 50,
                   threads: int | None = None) -> Clusters:
    """k clusters of ``images`` (N, C, H, W): PCA to ``pca_dims`` numbers, t-SNE to 2, k-means.  Deterministic
    for a seed; ``threads`` for t-SNE (default: torch's thread count)."""
    from sklearn.cluster import KMeans  # scikit-learn is imported only when clustering
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    if images.dim() != 4:
        raise ValueError(f"images must be (N, C, H, W), got shape {tuple(images.shape)}")
    n = len(images)
    if not (isinstance(k, int) and 2 <= k <= n // 10):
        raise ValueError(f"k must be an integer from 2 to n/10 = {n // 10} (at least ten images a cluster) for "
                         f"{n:,} images, got {k!r}")
    start = time.perf_counter()
    flat = images.detach().flatten(1).cpu().double().numpy()
    reduced = PCA(min(pca_dims, *flat.shape), random_state=seed).fit_transform(flat)
    embedded = TSNE(2, init="pca", random_state=seed, n_jobs=threads or torch.get_num_threads()).fit_transform(reduced)
    labels = KMeans(k, n_init=10, random_state=seed).fit_predict(embedded)
    sizes = np.bincount(labels, minlength=k)
    return Clusters(torch.as_tensor(labels, dtype=torch.long), tuple(float(s) / n for s in sizes),
                    time.perf_counter() - start)
