"""
Composition data: one-line regression and transfer from the shipped OQMD source
===============================================================================

Shear modulus from the chemical formula alone, on 300 training rows of the Materials Project
sample that ships with sktl. Part 1 fits :class:`sktl.CompositionRegressor` in one line: it
trains forests, gradient boosting and a network fine-tuned from the pretrained source
that ships with sktl (``weights="oqmd"``, trained on OQMD formation energies), and blends
them with weights chosen by cross-validation. Part 2 does the transfer by hand with
:mod:`sktl.transfer`: the source network fine-tuned (TL) and TL+RL on its first layer's
activations (Gupta et al. 2021), each against a random forest trained from scratch.

Run: ``python examples/plot_tlrl_composition.py`` (about a minute on one CPU thread; writes
``out/composition_parity.png``). Nothing is downloaded: the data are
:func:`sktl.datasets.load_shear_modulus` (Materials Project, CC BY 4.0; Jain et al. 2013,
de Jong et al. 2015) and the source network is the one in ``sktl/transfer/data``.
"""

import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import numpy as np
import torch
from sklearn.ensemble import RandomForestRegressor
from sklearn.pipeline import make_pipeline

from sktl import CompositionRegressor
from sktl.datasets import load_shear_modulus
from sktl.plotting import plot_parity
from sktl.transfer import (
    SOURCE_ARCHITECTURE,
    DeepMLPRegressor,
    SmallDataWarning,
    TLRLRegressor,
    source_features,
)

torch.set_num_threads(1)  # small networks: one thread is fastest on a shared machine
out = Path("out")
out.mkdir(exist_ok=True)

data = load_shear_modulus()
train = data.train.sample(300, random_state=0)
X_train, y_train = train["formula"], train["target"].to_numpy()
X_test, y_test = data.test["formula"], data.test["target"].to_numpy()
print(f"{len(train)} training and {len(y_test)} test formulas, e.g. {X_train.iloc[0]}")


def mae(prediction):
    return np.mean(np.abs(prediction - y_test))


# %%
# Part 1: one line
# ----------------
# ``CompositionRegressor()`` reads formulas directly. Each member is trained on five folds;
# the blend weights come from the members' out-of-fold errors, so a member that does not help
# on these rows gets no weight. Its default ``weights="oqmd"`` adds the network that starts
# from the shipped OQMD source.
reg = CompositionRegressor(random_state=0).fit(X_train, y_train)
print(f"\nCompositionRegressor: test MAE {mae(reg.predict(X_test)):.1f} GPa")
member_predictions = reg.predict_members(X_test)  # (n_samples, n_members)
for m, name in enumerate(reg.members_):
    print(
        f"  {name:18s} weight {reg.stack_weights_[m, 0]:.2f}  "
        f"test MAE {mae(member_predictions[:, m]):.1f} GPa"
    )

# %%
# Part 2: transfer by hand
# ------------------------
# The source's input is :func:`~sktl.transfer.source_features` (86 element fractions, then
# 105 element-property statistics), so every model here starts with it. TL: the source
# network with every layer fine-tuned on the target. TL+RL: the activations of the source's
# first dense layer feed a copy of the source whose new first layer starts from a least-squares
# bridge. Both use the fine-tuning settings of ``CompositionRegressor``'s network members,
# with 30 epochs instead of up to 100 to keep the run short.
fine_tune = dict(
    architecture=SOURCE_ARCHITECTURE,
    dropout=0.0,
    standardize_y=True,
    lr=1e-3,
    lr_schedule="onecycle",
    batch_size=128,
    max_epochs=30,
    patience=10,
    random_state=0,
)
models = {
    "forest (from scratch)": make_pipeline(
        source_features(), RandomForestRegressor(n_estimators=100, n_jobs=1, random_state=0)
    ),
    "TL: fine-tune": make_pipeline(
        source_features(), DeepMLPRegressor(weights="oqmd", **fine_tune)
    ),
    "TL+RL (layer 1)": make_pipeline(
        source_features(),
        TLRLRegressor(weights="oqmd", layer=1, regressor=DeepMLPRegressor(**fine_tune)),
    ),
}
# a single network on 300 rows warns that it is often no better than a forest, and points to
# CompositionRegressor, which measured that in part 1
warnings.filterwarnings("ignore", category=SmallDataWarning)
predictions = {"CompositionRegressor": reg.predict(X_test)}
print()
for name, model in models.items():
    predictions[name] = model.fit(X_train, y_train).predict(X_test)
    print(f"{name:22s} test MAE {mae(predictions[name]):.1f} GPa")

fig = plot_parity(y_test, predictions, ["shear modulus (GPa)"])
fig.savefig(out / "composition_parity.png", dpi=110)
