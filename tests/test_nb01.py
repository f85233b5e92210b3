"""Notebook 01: the history data against references.bib, the autoencoder, the training step shown in the
notebook, and the exercise checks (each accepts a correct answer, rejects typical wrong ones, and prints a
hint when unattempted).  The VAE has its own tests in test_vae.py."""

import copy
import re
from pathlib import Path

import nbformat
import pytest
import torch

from gancourse import timeline
from gancourse.autoencoder import Autoencoder, AutoencoderTraining
from gancourse.checks import nb01
from gancourse.models import DCGANGenerator, MLPDiscriminator, MLPGenerator
from gancourse.toy import sample_1d
from gancourse.training import GANTrainer, Trainer

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "01_what_is_a_gan.ipynb"


def _bib_entries() -> dict[str, str]:
    text = (ROOT / "references.bib").read_text(encoding="utf-8")
    return {m.group(1): m.group(2) for m in re.finditer(r"@\w+\s*\{\s*([^,\s]+)\s*,(.*?)\n\}", text, re.S)}


def _field(body: str, name: str) -> str | None:
    match = re.search(rf"\b{name}\s*=\s*\{{?([^}},\n]+)", body)
    return match.group(1).strip() if match else None


# ---- the timeline ---------------------------------------------------------------------------------
@pytest.mark.parametrize("milestone", timeline.MILESTONES, ids=lambda m: m.name)
def test_milestone_agrees_with_references_bib(milestone):
    entries = _bib_entries()
    assert milestone.key in entries, f"{milestone.key} is not in references.bib"
    body = entries[milestone.key]
    assert int(_field(body, "year")) == milestone.year, "the venue year must be the bib entry's year"
    assert _field(body, "eprint") == milestone.arxiv, "the arXiv id must be the bib entry's eprint"
    year, month = milestone.first_public
    assert 1 <= month <= 12 and year <= milestone.year


def test_the_outline_milestones_and_the_prehistory_are_there():
    names = {m.name for m in timeline.MILESTONES}
    required = {"GAN", "DCGAN", "CGAN", "InfoGAN", "WGAN", "WGAN-GP", "pix2pix", "CycleGAN", "ProGAN", "SAGAN",
                "BigGAN", "StyleGAN", "StyleGAN2", "StyleGAN3", "Jebara", "Tu", "Zhu"}
    assert required <= names
    assert {m.name for m in timeline.milestones("precursor")} == {"Jebara", "Tu", "Zhu"}


@pytest.mark.parametrize("name, first_public, venue_year", [
    ("Jebara", (2001, 12), 2002), ("Tu", (2007, 6), 2007), ("Zhu", (2012, 6), 2012),
    ("GAN", (2014, 6), 2014), ("CGAN", (2014, 11), 2014), ("DCGAN", (2015, 11), 2016),
    ("WGAN", (2017, 1), 2017), ("BigGAN", (2018, 9), 2019), ("StyleGAN", (2018, 12), 2019),
    ("StyleGAN3", (2021, 6), 2021),
])
def test_known_dates(name, first_public, venue_year):
    milestone = timeline.find(name)
    assert milestone.first_public == first_public and milestone.year == venue_year


def test_milestones_are_sorted_and_filtered():
    items = timeline.milestones()
    assert len(items) == len(timeline.MILESTONES)
    assert [m.first_public for m in items] == sorted(m.first_public for m in items)
    assert all(m.kind == "context" for m in timeline.milestones(["context"]))
    with pytest.raises(ValueError, match="unknown kinds"):
        timeline.milestones("diffusion")
    with pytest.raises(KeyError, match="no milestone"):
        timeline.find("GigaGAN")
    assert timeline.find(" dcgan ").key == "radford2016dcgan"


def test_milestone_validation():
    with pytest.raises(ValueError, match="exactly one"):
        timeline.Milestone("x", "k", "c", "v", 2020, arxiv="2001.00001", released=(2020, 1))
    with pytest.raises(ValueError, match="exactly one"):
        timeline.Milestone("x", "k", "c", "v", 2020)
    with pytest.raises(ValueError, match="kind"):
        timeline.Milestone("x", "k", "c", "v", 2020, kind="other", arxiv="2001.00001")
    assert timeline.Milestone("x", "k", "c", "v", 2020, arxiv="1912.04958").decimal_date == pytest.approx(2019 + 11.5 / 12)


def test_milestone_table_has_one_row_per_item_and_cites_each_key():
    table = timeline.milestone_table()
    rows = table.splitlines()
    assert len(rows) == 2 + len(timeline.MILESTONES)
    for m in timeline.MILESTONES:
        assert f"[@{m.key}]" in table
    assert "| 2014-11 | arXiv only | CGAN |" in table
    assert "| 2015-11 | ICLR 2016 | DCGAN |" in table


def test_plot_timeline_labels_every_item():
    fig = timeline.plot_timeline()
    assert len(fig.axes) == 2
    labels = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert len(labels) == len(timeline.MILESTONES)
    assert any(label.startswith("StyleGAN3\n2021-06") for label in labels)
    assert any(label.startswith("latent diffusion\n2021-12") for label in labels)


def test_plot_timeline_keeps_every_label_inside_its_panel_and_ticks_apart():
    fig = timeline.plot_timeline()
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        box = ax.get_window_extent(renderer)
        for text in ax.texts:
            extent = text.get_window_extent(renderer)
            assert box.x0 - 1 <= extent.x0 and extent.x1 <= box.x1 + 1, f"label {text.get_text()!r} is clipped"
    left, right = fig.axes
    assert max(left.get_xticks()) + 1 < min(right.get_xticks()), "the two panels' year ticks must not meet"
    assert "VAE\n2013-12" in [t.get_text() for t in right.texts], "the VAE sits in the GAN-era panel, not on the seam"


def test_levels_keep_labels_on_a_row_apart():
    dates = [2014.5, 2014.6, 2014.7, 2016.0, 2016.1]
    levels = timeline._levels(dates, gap=1.0)
    for row in set(levels):
        on_row = [d for d, h in zip(dates, levels) if h == row]
        assert all(b - a >= 1.0 for a, b in zip(on_row, on_row[1:]))


# ---- the autoencoder -------------------------------------------------------------------------------
def test_autoencoder_shapes_and_decoder_choice():
    ae = Autoencoder((1, 28, 28), latent_dim=5)
    x = torch.rand(3, 1, 28, 28) * 2 - 1
    assert ae.encode(x).shape == (3, 5) and ae(x).shape == x.shape
    dc = Autoencoder((1, 28, 28), decoder=DCGANGenerator(16, width=8))
    assert dc.latent_dim == 16 and dc(x).shape == x.shape
    assert dc.decode(torch.randn(2, 16)).abs().max() <= 1  # Tanh output, like the GAN generator
    with pytest.raises(ValueError, match="decoder makes"):
        Autoencoder((1, 32, 32), decoder=DCGANGenerator(16, width=8))
    with pytest.raises(ValueError, match=r"\(N, 1, 28, 28\)"):
        ae.encode(torch.zeros(3, 784))


def test_autoencoder_training_learns_and_accepts_labelled_batches():
    torch.manual_seed(0)
    images = torch.rand(32, 1, 8, 8).round() * 2 - 1
    ae = Autoencoder((1, 8, 8), latent_dim=4, hidden=(32,))
    trainer = Trainer(AutoencoderTraining(ae, lr=3e-3), device="cpu")
    trainer.fit(iter([(images, torch.zeros(32))] * 300), 300, progress=False)
    losses = [float(v) for v in trainer.history["loss"]]
    assert len(losses) == 300 and losses[-1] < 0.5 * losses[0]
    trainer.fit(iter([images] * 2), 2, progress=False)  # unlabelled batches too
    assert trainer.step == 302
    with pytest.raises(TypeError, match="Autoencoder"):
        AutoencoderTraining(torch.nn.Linear(2, 2))


# ---- the training step shown in the notebook ----------------------------------------------------------
def _notebook_gan_step():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    source = next(c.source for c in nb.cells if c.cell_type == "code" and c.source.startswith("def gan_step"))
    from gancourse.losses import discriminator_loss, generator_loss_nonsaturating

    namespace = {"discriminator_loss": discriminator_loss, "generator_loss_nonsaturating": generator_loss_nonsaturating}
    exec(source, namespace)
    return namespace["gan_step"]


def test_notebook_gan_step_equals_trainer_over_several_steps():
    gan_step = _notebook_gan_step()
    torch.manual_seed(1)
    generator, discriminator = MLPGenerator(4, 1, hidden=(16, 16), tanh_output=False), MLPDiscriminator(1, hidden=(16, 16))
    hand_g, hand_d = copy.deepcopy(generator), copy.deepcopy(discriminator)
    trainer = GANTrainer(generator, discriminator, device="cpu", seed=3)
    g_opt = torch.optim.Adam(hand_g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    d_opt = torch.optim.Adam(hand_d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    noise = torch.Generator().manual_seed(3)  # the trainer draws its noise from a generator seeded like this
    data = torch.Generator().manual_seed(0)
    for _ in range(4):
        real = sample_1d(32, (-2.0, 2.0), (0.5, 0.5), generator=data)
        d_loss, g_loss = gan_step(hand_g, hand_d, g_opt, d_opt, real, torch.randn(32, 4, generator=noise))
        stats = trainer.train_step(iter([real]))
        assert d_loss == stats["loss_d"] and g_loss == stats["loss_g"]
    for a, b in zip([*hand_g.parameters(), *hand_d.parameters()],
                    [*trainer.generator.parameters(), *trainer.discriminator.parameters()]):
        assert torch.equal(a, b)


# ---- the exercise checks ----------------------------------------------------------------------------
def test_check_fake_labels_both_ways(capsys):
    assert nb01.check_fake_labels(0, 1)
    assert nb01.check_fake_labels(0.0, 1.0)
    assert "Exercise 1" in capsys.readouterr().out
    for d_label, g_label, message in [(1, 1, "label the generator uses"), (0, 0, "help D"),
                                      (0.5, 1, "not the discriminator's loss"), (0, 0.5, "not the generator's")]:
        assert not nb01.check_fake_labels(d_label, g_label)
        assert message in capsys.readouterr().out


# Exercise 2: the outcome is classified from samples, so the check is tested on runs of each kind
_MODES = (-2.0, 2.0)


def _samples(*parts):
    gen = torch.Generator().manual_seed(0)
    return torch.cat([mean + std * torch.randn(n, 1, generator=gen) for mean, std, n in parts])


@pytest.mark.parametrize("after, outcome", [
    (_samples((-2, 0.5, 500), (2, 0.5, 500)), "A"),          # both peaks
    (_samples((-2, 0.5, 950), (2, 0.5, 50)), "B"),           # one peak
    (_samples((-7.7, 1.8, 1000)), "C"),                      # ran off past the data (notebook 01's run)
    (_samples((1.3, 1.5, 1000)), "D"),                       # where it was
])
def test_frozen_outcome_classifies_each_kind_of_run(after, outcome):
    before = _samples((1.3, 1.5, 1000))
    assert nb01.frozen_outcome(before, after, _MODES, 0.5) == outcome


def test_check_frozen_discriminator(capsys):
    before, ran_off = _samples((1.3, 1.5, 1000)), _samples((-7.7, 1.8, 1000))
    assert nb01.check_frozen_discriminator("C", before, ran_off, _MODES, 0.5)
    assert nb01.check_frozen_discriminator(" c ", before, ran_off, _MODES, 0.5)
    capsys.readouterr()
    assert not nb01.check_frozen_discriminator("A", before, ran_off, _MODES, 0.5)   # "G still finds the data"
    out = capsys.readouterr().out
    assert "fixed hill" in out and "moved from mean +1.3" in out
    assert not nb01.check_frozen_discriminator("E", before, ran_off, _MODES, 0.5)
    assert "one letter" in capsys.readouterr().out


def test_check_far_peaks(capsys):
    assert nb01.check_far_peaks(0.2, 1, 5)
    assert nb01.check_far_peaks(0.0, 1, 5)                     # within one run of the measurement
    capsys.readouterr()
    assert not nb01.check_far_peaks(1.0, 1, 5)                 # "as at ±2"
    assert "1 of 5 runs" in capsys.readouterr().out
    assert not nb01.check_far_peaks(0.0, 4, 5)
    assert not nb01.check_far_peaks(1.5, 1, 5)
    assert "between 0 and 1" in capsys.readouterr().out


def test_check_closest_to_real(capsys):
    measured = {"AE": 341.0, "AE fitted": 159.5, "VAE": 219.5, "GAN": 88.8}
    assert nb01.check_closest_to_real("GAN", measured)
    assert nb01.check_closest_to_real("gan", measured)
    capsys.readouterr()
    assert not nb01.check_closest_to_real("VAE", measured)     # "the VAE is made for sampling"
    out = capsys.readouterr().out
    assert "GAN 88.8, AE fitted 159.5" in out and "blurry" in out
    assert not nb01.check_closest_to_real("diffusion", measured)
    assert "answer one of" in capsys.readouterr().out
    assert nb01.check_closest_to_real("VAE", {**measured, "VAE": 50.0})  # the check follows the measurement


def _reference_first_public(identifier):
    number = identifier.removeprefix("arXiv:").split("v")[0]
    return 2000 + int(number[:2]), int(number[2:4])


def test_check_first_public(capsys):
    assert nb01.check_first_public(_reference_first_public)
    capsys.readouterr()
    wrong = {
        "year 19": lambda s: (1900 + _reference_first_public(s)[0] - 2000, _reference_first_public(s)[1]),
        "(month, year)": lambda s: _reference_first_public(s)[::-1],
        "expected (2014, 11)": lambda s: (2014, 12) if "1411" in s else _reference_first_public(s),
        "pair (year, month)": lambda s: 2014,
    }
    for message, answer in wrong.items():
        assert not nb01.check_first_public(answer)
        assert message in capsys.readouterr().out, message


def test_check_first_public_names_the_venue_year(capsys):
    dcgan = timeline.find("DCGAN")
    answer = lambda s: (dcgan.year, 11) if dcgan.arxiv in s else _reference_first_public(s)
    assert not nb01.check_first_public(answer)
    assert "year of its venue" in capsys.readouterr().out


def test_unattempted_exercises_print_a_hint_and_do_not_raise(capsys):
    before = _samples((1.3, 1.5, 100))
    assert not nb01.check_fake_labels(..., ...)
    assert not nb01.check_fake_labels(0, ...)
    assert not nb01.check_frozen_discriminator(..., before, before, _MODES, 0.5)
    assert not nb01.check_far_peaks(..., 1, 5)
    assert not nb01.check_closest_to_real(..., {"AE": 1.0, "GAN": 0.5})

    def unattempted(identifier):
        ...

    assert not nb01.check_first_public(unattempted)
    out = capsys.readouterr().out
    assert out.count("not attempted") == 6 and "raised" not in out


def test_checks_leave_the_global_random_state_alone(capsys):
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    nb01.check_fake_labels(0, 1)
    nb01.check_frozen_discriminator("C", _samples((1.3, 1.5, 100)), _samples((-7.7, 1.8, 100)), _MODES, 0.5)
    nb01.check_first_public(_reference_first_public)
    assert torch.equal(torch.rand(3), expected)


# ---- the notebook: every exercise is wired to its check, and no hint cell leaves a stray output --------------
def test_notebook_exercises_in_reading_order_and_hint_cells_end_with_a_semicolon():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    text = "\n".join(c.source for c in nb.cells)
    numbers = [int(n) for n in re.findall(r"Exercise (\d) ·", text)]
    assert numbers == sorted(numbers) and set(numbers) == {1, 2, 3, 4, 5}
    for cell in nb.cells:
        if cell.cell_type == "code" and "nb01.check_" in cell.source:
            assert cell.source.rstrip().endswith(";"), "a check call ends with ';' so it leaves no stray False"
            for output in cell.get("outputs", []):
                assert "False" not in "".join(output.get("data", {}).get("text/plain", ""))
