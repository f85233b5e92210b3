"""The history of GANs as data: milestones with dates, venues, one-line contributions and bib keys.

Two dates are kept apart on purpose, because the sources mix them up (DCGAN is "2015" on arXiv and
"2016" at ICLR): ``first_public`` is the month a work first appeared, read from its arXiv identifier
(YYMM.NNNNN) when it has one, and ``year`` is the year of the venue that published it.  The pre-history
follows seed 003, which follows the survey :cite:`wang2017gansurvey`.  Notebook 01 draws Fig 2 with
:func:`plot_timeline` and prints Table 2 with :func:`milestone_table`.
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt

__all__ = ["Milestone", "MILESTONES", "KINDS", "milestones", "find", "milestone_table", "plot_timeline"]

KINDS = {"precursor": "pre-history", "gan": "GAN milestone", "context": "other generative model (context)"}
_COLOURS = {"precursor": "tab:grey", "gan": "tab:orange", "context": "tab:blue"}


@dataclass(frozen=True)
class Milestone:
    """One entry of the history.  ``released`` is needed only when there is no arXiv identifier."""

    name: str
    key: str                 # references.bib key
    contribution: str        # one line: what it added
    venue: str               # where it was published, without the year
    year: int                # venue (publication) year
    kind: str = "gan"
    arxiv: str | None = None
    released: tuple[int, int] | None = None  # (year, month) first made public, for works without arXiv
    note: str = ""           # a caveat about the date or the attribution

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {sorted(KINDS)}, got {self.kind!r}")
        if (self.arxiv is None) == (self.released is None):
            raise ValueError(f"{self.name}: give exactly one of arxiv= or released=")

    @property
    def first_public(self) -> tuple[int, int]:
        """(year, month) of first appearance; arXiv identifiers since 2007 start with YYMM."""
        if self.arxiv is None:
            return self.released
        return 2000 + int(self.arxiv[:2]), int(self.arxiv[2:4])

    @property
    def decimal_date(self) -> float:
        """The first-public month as a fractional year (mid-month), for plotting."""
        year, month = self.first_public
        return year + (month - 0.5) / 12


MILESTONES: tuple[Milestone, ...] = (
    # ---- pre-history (seed 003) -----------------------------------------------------------------
    Milestone("Jebara", "jebara2001thesis",
              "generative and discriminative learning combined in one maximum-entropy framework",
              "MIT PhD thesis", 2002, "precursor", released=(2001, 12),
              note="submitted Dec 2001, degree conferred Feb 2002"),
    Milestone("Tu", "tu2007learning",
              "a boosted classifier of real vs. model samples refines a generative model step by step",
              "CVPR", 2007, "precursor", released=(2007, 6)),
    Milestone("Zhu", "zhu2012maxmargin",
              "max-margin learning combined with a Bayesian nonparametric latent-feature model",
              "ICML", 2012, "precursor", arxiv="1206.4659",
              note="seed 003 names only 'Jun Zhu, 2012'; this paper is the most likely match"),
    # ---- context ----------------------------------------------------------------------------------
    Milestone("VAE", "kingma2014vae",
              "encoder–decoder trained on a likelihood bound; codes follow a N(0, I) prior",
              "ICLR", 2014, "context", arxiv="1312.6114"),
    # ---- GANs ---------------------------------------------------------------------------------------
    Milestone("GAN", "goodfellow2014gan",
              "generator vs. discriminator in a minimax game; its optimum is p_g = p_data",
              "NIPS", 2014, arxiv="1406.2661"),
    Milestone("CGAN", "mirza2014cgan",
              "a label y fed to both G and D chooses what is generated",
              "arXiv preprint", 2014, arxiv="1411.1784", note="never published at a venue"),
    Milestone("DCGAN", "radford2016dcgan",
              "convolutional G and D (strided convolutions, batch norm): stable image GANs",
              "ICLR", 2016, arxiv="1511.06434"),
    Milestone("Improved GAN", "salimans2016improved",
              "feature matching, minibatch discrimination, label smoothing; the Inception Score",
              "NIPS", 2016, arxiv="1606.03498"),
    Milestone("InfoGAN", "chen2016infogan",
              "maximises mutual information between latent codes and samples: factors learned without labels",
              "NIPS", 2016, arxiv="1606.03657"),
    Milestone("EBGAN", "zhao2017ebgan",
              "the discriminator as an energy function (an autoencoder's reconstruction error)",
              "ICLR", 2017, arxiv="1609.03126"),
    Milestone("pix2pix", "isola2017pix2pix",
              "paired image-to-image translation: conditional GAN + L1 loss, PatchGAN discriminator",
              "CVPR", 2017, arxiv="1611.07004"),
    Milestone("WGAN", "arjovsky2017wgan",
              "a weight-clipped critic estimates the Wasserstein-1 distance: a loss that tracks quality",
              "ICML", 2017, arxiv="1701.07875"),
    Milestone("CycleGAN", "zhu2017cyclegan",
              "unpaired translation between two image domains with a cycle-consistency loss",
              "ICCV", 2017, arxiv="1703.10593"),
    Milestone("WGAN-GP", "gulrajani2017wgangp",
              "a gradient penalty replaces WGAN's weight clipping",
              "NIPS", 2017, arxiv="1704.00028"),
    Milestone("ProGAN", "karras2018progressive",
              "G and D grown layer by layer from 4×4 to 1024×1024 pixels",
              "ICLR", 2018, arxiv="1710.10196"),
    Milestone("SN-GAN", "miyato2018spectral",
              "spectral normalisation bounds the discriminator's Lipschitz constant",
              "ICLR", 2018, arxiv="1802.05957"),
    Milestone("SAGAN", "zhang2019sagan",
              "self-attention layers in G and D model long-range structure",
              "ICML", 2019, arxiv="1805.08318"),
    Milestone("BigGAN", "brock2019biggan",
              "class-conditional GANs scaled up on ImageNet; the truncation trick trades variety for fidelity",
              "ICLR", 2019, arxiv="1809.11096"),
    Milestone("StyleGAN", "karras2019stylegan",
              "a mapping network and per-layer style modulation plus noise inputs; the FFHQ face dataset",
              "CVPR", 2019, arxiv="1812.04948"),
    Milestone("StyleGAN2", "karras2020stylegan2",
              "weight demodulation replaces AdaIN (no 'droplet' artefacts); path-length regularisation",
              "CVPR", 2020, arxiv="1912.04958"),
    Milestone("DDPM", "ho2020ddpm",
              "denoising diffusion: many small denoising steps; the family that later overtook GANs for images",
              "NeurIPS", 2020, "context", arxiv="2006.11239"),
    Milestone("StyleGAN2-ADA", "karras2020ada",
              "adaptive discriminator augmentation: GANs trained on a few thousand images",
              "NeurIPS", 2020, arxiv="2006.06676"),
    Milestone("VQGAN", "esser2021vqgan",
              "an adversarial + perceptual loss trains an image tokenizer; latent diffusion reuses this loss",
              "CVPR", 2021, arxiv="2012.09841"),
    Milestone("StyleGAN3", "karras2021stylegan3",
              "alias-free generator: details move with the object (translation and rotation equivariance)",
              "NeurIPS", 2021, arxiv="2106.12423"),
    Milestone("latent diffusion", "rombach2022ldm",
              "diffusion in the latent space of an autoencoder trained with a VQGAN-style adversarial loss "
              "(Stable Diffusion)",
              "CVPR", 2022, "context", arxiv="2112.10752"),
)


def milestones(kinds=None) -> list[Milestone]:
    """Milestones of the given kinds (all by default), sorted by their first-public month."""
    kinds = set(KINDS) if kinds is None else {kinds} if isinstance(kinds, str) else set(kinds)
    unknown = kinds - set(KINDS)
    if unknown:
        raise ValueError(f"unknown kinds {sorted(unknown)}; choose from {sorted(KINDS)}")
    return sorted((m for m in MILESTONES if m.kind in kinds), key=lambda m: (m.first_public, m.name))


def find(name: str) -> Milestone:
    """The milestone called ``name`` (case-insensitive)."""
    for m in MILESTONES:
        if m.name.lower() == name.strip().lower():
            return m
    raise KeyError(f"no milestone {name!r}; known: {[m.name for m in MILESTONES]}")


def milestone_table(items=None) -> str:
    """Table 2 as Markdown: first public (month), venue and year, name, contribution, reference."""
    items = milestones() if items is None else list(items)
    rows = ["| first public | published | milestone | contribution | reference |", "|---|---|---|---|---|"]
    for m in items:
        year, month = m.first_public
        where = "arXiv only" if m.venue == "arXiv preprint" else f"{m.venue} {m.year}"
        note = f" ({m.note})" if m.note else ""
        label = m.name if m.kind == "gan" else f"*{m.name}* ({KINDS[m.kind]})"
        rows.append(f"| {year}-{month:02d} | {where} | {label} | {m.contribution}{note} | [@{m.key}] |")
    return "\n".join(rows)


def _levels(dates: list[float], gap: float, heights=(1, -1, 2, -2, 3, -3, 4, -4)) -> list[int]:
    """Give each label a height so that labels on one row are at least ``gap`` years apart."""
    last = {h: -float("inf") for h in heights}
    chosen = []
    for d in dates:
        free = [h for h in heights if d - last[h] >= gap]
        h = free[0] if free else min(heights, key=lambda k: last[k])  # crowded: reuse the oldest row
        last[h] = d
        chosen.append(h)
    return chosen


def plot_timeline(items=None, *, split_year: int = 2012, gap: float = 1.2, figsize=(15, 5.5)):
    """Fig 2: a two-part timeline (pre-history on a compressed axis, then the GAN era) by first-public month.

    Labels alternate above and below the axis; grey = pre-history, orange = GANs, blue = other
    generative models for context.  Items up to ``split_year`` go on the compressed left axis; the right
    axis starts on 1 January of the next year and is ticked every other year from the one after, so the
    last label of the left part and the first tick of the right part stay apart.
    Returns the figure.
    """
    items = milestones() if items is None else sorted(items, key=lambda m: m.first_public)
    early = [m for m in items if m.first_public[0] <= split_year]
    late = [m for m in items if m.first_public[0] > split_year]
    fig, axes = plt.subplots(1, 2, figsize=figsize, gridspec_kw={"width_ratios": [1.2, 4], "wspace": 0.04}, sharey=True)
    spans = ((1999.6, split_year + 2.2), (split_year + 1.0, max(m.decimal_date for m in items) + 0.9))
    top = 1
    for ax, part, (lo, hi), part_gap in zip(axes, (early, late), spans, (gap * 2.5, gap)):
        ax.axhline(0, color="black", lw=1.2)
        dates = [m.decimal_date for m in part]
        levels = _levels(dates, part_gap)
        top = max([top] + [abs(h) for h in levels])
        for m, d, h in zip(part, dates, levels):
            colour = _COLOURS[m.kind]
            ax.plot([d, d], [0, h * 0.9], color=colour, lw=0.8)
            ax.plot(d, 0, "o", color=colour, ms=5)
            year, month = m.first_public
            ax.text(d, h, f"{m.name}\n{year}-{month:02d}", ha="center", va="bottom" if h > 0 else "top",
                    fontsize=10, color="black", bbox={"fc": "white", "ec": colour, "lw": 0.8, "pad": 1.5})
        ax.set_xlim(lo, hi)
        ax.set_yticks([])
        for side in ("left", "right", "top"):
            ax.spines[side].set_visible(False)
    axes[0].set_ylim(-top - 1.6, top + 1.6)  # shared with the other panel
    axes[0].set_xticks(range(split_year - 9, split_year + 1, 3))
    axes[1].set_xticks(range(split_year + 2, int(spans[1][1]) + 1, 2))  # every other year: no two ticks collide
    axes[0].set_title("before GANs (compressed axis)", fontsize=11)
    axes[1].set_title("the GAN era", fontsize=11)
    for kind, colour in _COLOURS.items():
        axes[1].plot([], [], "o", color=colour, label=KINDS[kind])
    axes[1].legend(loc="lower left", fontsize=10, frameon=False)
    for ax in axes:
        ax.tick_params(axis="x", labelsize=10)
    fig.supxlabel("first public appearance (arXiv month; thesis / conference month where there is no preprint)", fontsize=10)
    return fig
