"""
Microstructure reconstruction with VGG19 Gram matrices (Li et al. 2018)
=======================================================================

A labelled micrograph of a carbonate (two phases) is reconstructed without any training: the
phases are encoded as maximin Latin hypercube colours, random pixels are optimised with
L-BFGS-B until their VGG19 Gram matrices match the original's, and the result is decoded by
K-means and annealed to the original's volume fractions. The two-point correlation S2(r) and
the lineal-path function L(r) of the reconstructions are then compared to the original's
with the paper's error rate, for the paper's loss and for sktl's optional descriptor terms.

Run: ``python examples/plot_reconstruction_li2018.py`` (about a minute on two cores; writes
``out/reconstruction_li2018.png``). The image is embedded in sktl
(:func:`sktl.datasets.load_li2018`; CC BY 4.0, Li et al. 2018).
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from sktl.datasets import load_li2018
from sktl.descriptors import error_rate, lineal_path, two_point_correlation
from sktl.reconstruction import PRESETS, MicrostructureReconstructor

# a 64 px corner of the 256 px image: its features keep their size in pixels
original = load_li2018("carbonate", size=256).image[:64, :64]

# %%
# Fit and sample, once with the paper's method (``PRESETS["li2018"]``: Gram matrices only,
# annealing to the volume fraction) and once with sktl's defaults: S2 and
# lineal-path terms in the loss, which reach correlations beyond the deepest tap's receptive
# field, cheap taps up to pool2 and a coarse-to-fine start. At 64 px the paper's deepest
# usable tap is pool3 (receptive field 52 px); its pruning study shows that pool4 adds little.
variants = {
    "paper (li2018)": MicrostructureReconstructor(
        **{**PRESETS["li2018"], "layers": ("conv1_1", "pool1", "pool2", "pool3"), "max_iter": 100},
        random_state=0,
    ),
    "sktl (default)": MicrostructureReconstructor(random_state=0),
}  # fmt: skip
samples = {}
for name, model in variants.items():
    samples[name] = model.fit(original).sample(1, random_state=0)[0]
    print(f"{name}: {model.sample_times_[0]:.0f} s per sample")

# %%
# Compare the statistics of the pore phase (label 1).
s2_ref = two_point_correlation(original, 1, periodic=False)
lp_ref = lineal_path(original, 1)
fig, axes = plt.subplots(1, 5, figsize=(16, 3.2))
for ax, img, title in zip(axes[:3], [original, *samples.values()], ["original", *samples]):
    ax.imshow(img, cmap="gray", interpolation="none")
    ax.set_title(title)
    ax.axis("off")
for ax, ref, func, label in [
    (axes[3], s2_ref, lambda s: two_point_correlation(s, 1, periodic=False), "S2(r)"),
    (axes[4], lp_ref, lambda s: lineal_path(s, 1), "L(r)"),
]:
    ax.plot(ref, "k", lw=2, label="original")
    for name, s in samples.items():
        curve = func(s)
        ax.plot(curve, "--", label=f"{name}: {error_rate(ref, curve):.1f} %")
    ax.set_xlabel("r (px)")
    ax.set_title(label)
    ax.legend(fontsize=8)
fig.tight_layout()
Path("out").mkdir(exist_ok=True)
fig.savefig("out/reconstruction_li2018.png", dpi=110)
