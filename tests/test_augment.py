"""gancourse.augment: per-image warps and stroke-width changes from the caller's generator, differentiable, background kept."""

import math

import pytest
import torch
import torch.nn.functional as F

from gancourse.augment import random_affine, random_stroke_width, random_warp


def _digit_like(n=8):
    images = -torch.ones(n, 1, 28, 28)
    images[:, :, 6:22, 12:16] = 1.0  # an upright bar, like a 1
    return images


def test_no_warp_is_the_identity_and_each_image_gets_its_own_warp():
    images = _digit_like()
    same = random_affine(images, torch.Generator().manual_seed(0), rotation=0, shear=0, scale=0, shift=0)
    assert torch.allclose(same, images, atol=1e-5)
    warped = random_affine(images, torch.Generator().manual_seed(0))
    assert warped.shape == images.shape
    assert not torch.allclose(warped[0], warped[1], atol=1e-3)            # one warp per image, not one per batch
    assert warped.min() >= -1 - 1e-5 and warped.max() <= 1 + 1e-5
    assert torch.allclose(warped[:, :, 0, 0], torch.full((8, 1), -1.0))   # uncovered corners are background, not 0


def test_warps_come_from_the_callers_generator_only():
    images = _digit_like()
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    a = random_affine(images, torch.Generator().manual_seed(5))
    assert torch.equal(torch.random.get_rng_state(), before)  # the global stream is untouched
    b = random_affine(images, torch.Generator().manual_seed(5))
    assert torch.equal(a, b)


def test_a_pure_rotation_turns_the_bar_by_at_most_the_limit():
    images = _digit_like(64)
    warped = random_affine(images, torch.Generator().manual_seed(1), rotation=20, shear=0, scale=0, shift=0)

    def tilt(x):  # the bar's angle from vertical, from its second moments
        w = (x[0] + 1).clamp_min(0)
        ys, xs = torch.meshgrid(torch.arange(28.0), torch.arange(28.0), indexing="ij")
        m = w.sum()
        cy, cx = (w * ys).sum() / m, (w * xs).sum() / m
        cov_xy = (w * (xs - cx) * (ys - cy)).sum() / m
        var_y, var_x = (w * (ys - cy) ** 2).sum() / m, (w * (xs - cx) ** 2).sum() / m
        return 0.5 * math.degrees(math.atan2(2 * cov_xy, var_y - var_x))

    tilts = [abs(tilt(x)) for x in warped]
    assert max(tilts) <= 21 and max(tilts) > 10  # the bar turns, and never beyond ±20° (plus pixel rounding)


def test_gradients_flow_through_the_warp():
    images = _digit_like(4).requires_grad_(True)
    loss = F.mse_loss(random_affine(images, torch.Generator().manual_seed(0)), torch.zeros(4, 1, 28, 28))
    loss.backward()
    assert images.grad is not None and images.grad.abs().sum() > 0


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        random_affine(torch.zeros(28, 28), torch.Generator())
    with pytest.raises(ValueError, match="scale < 1"):
        random_affine(torch.zeros(1, 1, 28, 28), torch.Generator(), scale=1.0)
    with pytest.raises(ValueError, match="≥ 0"):
        random_affine(torch.zeros(1, 1, 28, 28), torch.Generator(), rotation=-5)


def test_strength_scales_every_limit():
    images = _digit_like()
    scaled = random_affine(images, torch.Generator().manual_seed(3), strength=0.5)
    explicit = random_affine(images, torch.Generator().manual_seed(3), rotation=10, shear=0.15, scale=0.1, shift=0.05)
    assert torch.allclose(scaled, explicit, atol=1e-6)
    with pytest.raises(ValueError, match="strength"):
        random_affine(images, torch.Generator(), strength=-1)


def _ink(x):  # how many pixels are brighter than mid-grey
    return int((x > 0).sum())


def test_stroke_width_thickens_or_thins_each_digit_within_one_pixel():
    images = _digit_like(64)
    changed = random_stroke_width(images, torch.Generator().manual_seed(0), pixels=1)
    assert changed.min() >= -1 and changed.max() <= 1                    # no new extremes: a blend of grey morphology
    thicker = F.max_pool2d(images, 3, stride=1, padding=1)
    thinner = -F.max_pool2d(-images, 3, stride=1, padding=1)
    assert (changed <= thicker + 1e-6).all() and (changed >= thinner - 1e-6).all()  # never beyond one whole pixel
    ink = [_ink(x) for x in changed]
    bar = _ink(images[0])
    assert min(ink) < bar < max(ink)                                      # some pens thinner, some thicker
    assert torch.equal(random_stroke_width(images, torch.Generator().manual_seed(0), pixels=0), images)


def test_stroke_width_takes_whole_pixel_steps_beyond_one():
    images = _digit_like(64)
    changed = random_stroke_width(images, torch.Generator().manual_seed(1), pixels=2)
    once = F.max_pool2d(images, 3, stride=1, padding=1)
    twice = F.max_pool2d(once, 3, stride=1, padding=1)
    assert (changed <= twice + 1e-6).all()
    assert max(_ink(x) for x in changed) > _ink(once[0])                 # some strokes grew by more than one pixel


def test_random_warp_is_the_affine_warp_then_the_pen_and_gradients_flow():
    images = _digit_like(8).requires_grad_(True)
    warped = random_warp(images, torch.Generator().manual_seed(4), strength=0.5)
    generator = torch.Generator().manual_seed(4)
    expected = random_stroke_width(random_affine(images, generator, strength=0.5), generator, pixels=0.5)
    assert torch.equal(warped, expected)
    warped.sum().backward()
    assert images.grad is not None and images.grad.abs().sum() > 0
    with pytest.raises(ValueError, match="pixels"):
        random_stroke_width(images, torch.Generator(), pixels=-1)
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        random_stroke_width(torch.zeros(28, 28), torch.Generator())
