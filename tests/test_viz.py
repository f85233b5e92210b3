import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from gancourse import models, viz
from gancourse.training import History


def test_image_grid_maps_minus_one_one_to_unit_range():
    images = torch.stack([torch.full((1, 4, 4), -1.0), torch.full((1, 4, 4), 1.0)])
    grid = viz.image_grid(images, nrow=2)
    assert grid.shape == (8, 14, 3)  # padding 2 around 4×4 tiles, grey expanded to RGB by make_grid
    assert grid[2, 2, 0] == 0.0 and grid[2, 8, 0] == 1.0
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        viz.image_grid(torch.zeros(4, 4))


def test_show_images_and_snapshots():
    ax = viz.show_images(torch.rand(6, 1, 8, 8) * 2 - 1, nrow=3, title="x")
    assert ax.get_title() == "x" and len(ax.images) == 1
    h = History()
    with pytest.raises(ValueError, match="snapshot_every"):
        viz.show_snapshots(h)
    h.snapshots = [(0, torch.zeros(4, 1, 8, 8)), (10, torch.ones(4, 1, 8, 8))]
    fig = viz.show_snapshots(h)
    assert [a.get_title() for a in fig.axes if a.get_title()] == ["step 0", "step 10"]


def test_plot_history_both_kinds():
    h = History()
    for i in range(10):
        h.log(i + 1, step=i + 1, loss_d=1.0, loss_g=2.0, d_real=0.6, d_fake=0.4, d_accuracy=0.5)
    axes = viz.plot_history(h, smooth=3)
    assert len(axes[0].lines) == 2 and axes[1].get_ylim()[1] == pytest.approx(1.02)
    w = History()
    for i in range(5):
        w.log(i + 1, step=i + 1, loss_d=-1.0, loss_g=1.0, critic_real=3.0, critic_fake=-2.0, wasserstein=5.0)
    axes = viz.plot_history(w)
    assert "critic" in axes[1].get_legend().get_texts()[0].get_text()
    assert axes[1].lines[0].get_ydata()[0] == 3.0 and axes[1].get_ylim()[1] > 3.0  # raw scores, no 0..1 axis


def test_plot_samples_2d_with_discriminator_heatmap():
    d = models.MLPDiscriminator(2, hidden=(8,))
    ax = viz.plot_samples_2d(torch.randn(50, 2), torch.randn(50, 2), modes=torch.zeros(1, 2), discriminator=d, title="t")
    assert ax.get_title() == "t" and len(ax.collections) >= 3


def test_plot_hist_1d():
    ax = viz.plot_hist_1d(np.random.randn(100), np.random.randn(100) + 1, bins=10)
    assert len(ax.patches) == 20


def test_flow_diagram_draws_boxes_and_rejects_unknown_names():
    from gancourse.diagrams import flow_diagram

    boxes = {"z": (0, 0, "noise z", "data"), "G": (2, 0, "G", "generator")}
    ax = flow_diagram(boxes, [("z", "G", "sample")], title="t")
    assert len(ax.patches) == 3 and ax.get_title() == "t"
    with pytest.raises(KeyError, match="does not exist"):
        flow_diagram(boxes, [("z", "D", "")])
    with pytest.raises(ValueError, match="style"):
        flow_diagram(boxes, [("z", "G", "", {"colour": "red"})])


def test_flow_diagram_arrows_run_from_box_edge_to_box_edge():
    from matplotlib.patches import FancyArrowPatch

    from gancourse.diagrams import flow_diagram

    boxes = {"a": (0, 0, "wide box a", "data"), "b": (3, 0, "wide box b", "loss")}
    ax = flow_diagram(boxes, [("a", "b", "", {"color": "red", "rad": 0.0})], box_size=(2.0, 0.6))
    ax.figure.canvas.draw()
    (arrow,) = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    path = arrow.get_path()  # data coordinates; the last vertex only closes the head polygon
    xs = path.vertices[path.codes != path.CLOSEPOLY, 0]
    # boxes span x ∈ [-1, 1] and [2, 4] (plus 0.05 padding): the arrow lives in the gap between them
    assert xs.min() > 1.0 and xs.max() < 2.0


def test_show_now_displays_and_closes_the_figure_inside_ipython(monkeypatch):
    import IPython
    import IPython.display

    from gancourse.viz import show_now

    shown = []
    monkeypatch.setattr(IPython, "get_ipython", lambda: object())
    monkeypatch.setattr(IPython.display, "display", shown.append)
    fig = plt.figure()
    show_now(fig)
    assert shown == [fig] and fig.number not in plt.get_fignums()


def test_show_image_table_labels_rows_and_columns():
    images = torch.rand(6, 1, 8, 8) * 2 - 1
    ax = viz.show_image_table(images, ["a", "b"], ["-1", "0", "+1"], xlabel="step", title="t")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["-1", "0", "+1"] and ax.get_xlabel() == "step"
    assert ax.images[0].get_array().shape == (2 + 2 * 10, 2 + 3 * 10)  # make_grid: 8-pixel tiles, 2-pixel padding
    with pytest.raises(ValueError, match="do not fill 2 rows × 2 columns"):
        viz.show_image_table(images, ["a", "b"], ["x", "y"])
    plt.close("all")


def test_animation_html_loads_nothing_from_other_hosts():
    from matplotlib import animation

    fig, ax = plt.subplots(figsize=(1, 1))
    image = ax.imshow(np.zeros((2, 2)))
    movie = animation.FuncAnimation(fig, lambda i: (image,), frames=2)
    html = viz.animation_html(movie, default_mode="loop")
    plt.close(fig)
    assert "https://" not in html and "http://" not in html
    assert '.fa-play:before{content:"▶"}' in html and "fa-fast-forward" in html  # the buttons still have symbols
