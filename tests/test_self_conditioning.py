"""Self-conditioning: cluster labels of unlabelled images (gancourse.clusters) and a GAN that draws its fake
labels in given shares (GAN(label_shares=…))."""

import pytest
import torch

from gancourse.clusters import Clusters, cluster_images
from gancourse.config import seeded
from gancourse.models import DCGANDiscriminator, DCGANGenerator, MLPDiscriminator, MLPGenerator
from gancourse.training import GAN, GANTrainer


def _three_shapes(per_shape=(60, 100, 40), seed=0):
    """Noisy 1×8×8 images of three shapes (a bar, a square, a cross) in uneven numbers, and their shape index."""
    canvas = torch.full((3, 1, 8, 8), -1.0)
    canvas[0, 0, 3:5, :] = 1          # a horizontal bar
    canvas[1, 0, 2:6, 2:6] = 1        # a square
    canvas[2, 0, :, 3:5] = 1          # a cross
    canvas[2, 0, 3:5, :] = 1
    shape = torch.cat([torch.full((n,), i) for i, n in enumerate(per_shape)])
    gen = torch.Generator().manual_seed(seed)
    return canvas[shape] + 0.3 * torch.randn(len(shape), 1, 8, 8, generator=gen), shape


def test_clusters_follow_well_separated_groups_and_repeat_for_a_seed():
    images, shape = _three_shapes()
    clusters = cluster_images(images, 3, seed=0, threads=1)
    assert clusters.labels.shape == (200,) and clusters.labels.dtype == torch.long
    assert clusters.purity(shape) == 1.0
    assert sorted(clusters.shares) == pytest.approx([0.2, 0.3, 0.5]) and sum(clusters.shares) == pytest.approx(1.0)
    assert clusters.seconds > 0
    assert torch.equal(cluster_images(images, 3, seed=0, threads=1).labels, clusters.labels)


def test_purity_counts_each_clusters_most_common_class():
    clusters = Clusters(torch.tensor([0, 0, 0, 1, 1, 1]), (0.5, 0.5), 0.0)
    assert clusters.purity(torch.tensor([4, 4, 7, 2, 2, 2])) == pytest.approx(5 / 6)
    with pytest.raises(ValueError, match="one label per clustered image"):
        clusters.purity(torch.tensor([1, 2]))


@pytest.mark.parametrize("images, k, message", [
    (torch.zeros(100, 64), 3, r"\(N, C, H, W\)"),
    (torch.zeros(100, 1, 8, 8), 1, "k must be an integer from 2 to n/10 = 10"),
    (torch.zeros(100, 1, 8, 8), 11, "at least ten images a cluster"),
    (torch.zeros(100, 1, 8, 8), 2.0, "k must be an integer"),
])
def test_cluster_images_says_what_is_wrong(images, k, message):
    with pytest.raises(ValueError, match=message):
        cluster_images(images, k)


def _conditional_gan(**options):
    with seeded(0):
        return GAN(MLPGenerator(4, (1, 4, 4), num_classes=3),
                   MLPDiscriminator((1, 4, 4), num_classes=3), **options)


def test_fake_labels_follow_the_shares():
    family = _conditional_gan(label_shares=(6, 0, 2))  # any positive sizes; normalised
    assert family.label_shares == (0.75, 0.0, 0.25)
    _, labels = family.draw_noise(20_000)
    counts = torch.bincount(labels, minlength=3) / 20_000
    assert counts[1] == 0 and counts[0] == pytest.approx(0.75, abs=0.02) and counts[2] == pytest.approx(0.25, abs=0.02)
    # sample() asks for labels in the same shares, the same ones for the same seed
    first, second = family.sample(8, seed=3), family.sample(8, seed=3)
    assert torch.equal(first, second)


def test_without_shares_labels_are_drawn_as_before():
    family = _conditional_gan()
    state = family.rng.get_state()
    z, labels = family.draw_noise(50)
    replay = torch.Generator()
    replay.set_state(state)
    torch.randn(50, 4, generator=replay)  # z comes first, as in draw_noise
    assert torch.equal(labels, torch.randint(3, (50,), generator=replay))
    assert "label_shares" not in family.config()  # a plain conditional GAN's configuration is unchanged


@pytest.mark.parametrize("shares, message", [
    ((1, 1), "must be 3 numbers"),
    ((1, -1, 1), "must be 3 numbers ≥ 0"),
    ((0, 0, 0), "positive sum"),
])
def test_wrong_shares_are_refused(shares, message):
    with pytest.raises(ValueError, match=message):
        _conditional_gan(label_shares=shares)


def test_shares_need_a_conditional_generator():
    with pytest.raises(ValueError, match="applies to a conditional generator"):
        GAN(MLPGenerator(4, (1, 4, 4)), MLPDiscriminator((1, 4, 4)), label_shares=(1, 1))


def test_shares_travel_with_the_checkpoint(tmp_path):
    def trainer():
        with seeded(0):
            return GANTrainer(DCGANGenerator(latent_dim=4, width=4, num_classes=3), DCGANDiscriminator(width=4, num_classes=3),
                              label_shares=(0.5, 0.3, 0.2), device="cpu")
    saved = trainer()
    assert saved.config()["label_shares"] == (0.5, 0.3, 0.2)
    path = saved.save(tmp_path / "self_conditioned.pt")
    other = trainer()
    other.load(path)  # the configuration matches, shares included
    with seeded(0):
        different = GANTrainer(DCGANGenerator(latent_dim=4, width=4, num_classes=3), DCGANDiscriminator(width=4, num_classes=3),
                               device="cpu")
    with pytest.raises(ValueError, match="label_shares"):
        different.load(path)
