"""
Composition data: transfer + representation learning (TL+RL) from OQMD to JARVIS
=================================================================================

A deep MLP is pre-trained on OQMD formation energies from 86 element fractions (the source),
saved with joblib, and reused on a small JARVIS subset (the target) three ways, following
Gupta et al. (2021): the activations of one of its layers as the input of a Ridge model (RL),
the same activations feeding a network initialised from the source (TL+RL), and plain
fine-tuning (TL). A GridSearchCV picks the layer. A smaller network than ElemNet's NN-17 and
a few epochs keep the run short.

Run: ``python examples/plot_tlrl_composition.py`` (about a minute; writes
``out/tlrl_parity.png`` and the source model ``out/tlrl_source.joblib``). The data come from
:func:`sktl.datasets.fetch_oqmd` and :func:`sktl.datasets.fetch_jarvis_deltae`: read from
``$SKTL_DATA`` (or ``~/sktl_data``), downloaded there once (8.6 MB) when missing.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import joblib
import numpy as np
import torch
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import Pipeline, make_pipeline

from sktl.composition import ElementFractionTransformer
from sktl.datasets import fetch_jarvis_deltae, fetch_oqmd
from sktl.plotting import plot_parity
from sktl.transfer import DeepMLPRegressor, LayerActivationTransformer, TLRLRegressor

torch.set_num_threads(1)  # small networks: one thread is fastest on a shared machine

# --- source: OQMD, compositions of the JARVIS test set removed ------------------------------
oqmd = fetch_oqmd().train.sample(8000, random_state=0)
oqmd = oqmd[oqmd["target"].abs() <= 10]  # about 60 of 341,700 rows are outliers
jarvis = fetch_jarvis_deltae()
train = jarvis.train.sample(800, random_state=0)
test = jarvis.test.sample(400, random_state=0)
fractions = ElementFractionTransformer()
Xs = fractions.fit_transform(oqmd["formula"])
test_keys = {r.tobytes() for r in np.round(fractions.transform(test["formula"]), 6)}
keep = np.array([r.tobytes() not in test_keys for r in np.round(Xs, 6)])
print(f"source: {keep.sum()} OQMD rows ({(~keep).sum()} in the JARVIS test set removed)")

arch = "256x2D-128x2D-64x2-32x1-1"  # 7 hidden layers; ElemNet's NN-17 is the default
source = DeepMLPRegressor(architecture=arch, lr=1e-3, max_epochs=15, patience=3, random_state=0)
source.fit(Xs[keep], oqmd["target"].to_numpy()[keep])
out = Path("out")
out.mkdir(exist_ok=True)
joblib.dump(source, out / "tlrl_source.joblib")  # one source, reused by every target fit below
source = joblib.load(out / "tlrl_source.joblib")
print(
    f"source: {len(source.history_)} epochs, validation MAE {source.history_[-1]['valid_loss']:.3f}"
)

# --- target: JARVIS subset --------------------------------------------------------------------
y_train = train["target"].to_numpy()
y_test = test["target"].to_numpy()
# mc_dropout: predict the mean of 16 dropout passes; with dropout off, a deep ReLU stack
# trained with dropout predicts worse (see the user guide's "Dropout at prediction")
target_net = dict(
    architecture=arch, lr=1e-3, max_epochs=60, patience=5, mc_dropout=16, random_state=0
)

rl = Pipeline(
    [
        ("fractions", ElementFractionTransformer()),
        ("layer", LayerActivationTransformer(weights=source, activation="dense")),
        ("model", RidgeCV(alphas=np.logspace(-4, 2, 13))),
    ]
)
search = GridSearchCV(
    rl,
    {"layer__layer": [3, 5, 7], "layer__activation": ["dense", "relu"]},
    cv=KFold(5, shuffle=True, random_state=0),
    scoring="neg_mean_absolute_error",
).fit(train[["formula"]], y_train)
best = search.best_params_
print(f"RL (Ridge): best layer {best['layer__layer']} ({best['layer__activation']}), "
      f"CV MAE {-search.best_score_:.3f}")  # fmt: skip

models = {
    "SC: Ridge on fractions": make_pipeline(ElementFractionTransformer(), RidgeCV()),
    "SC: deep MLP": make_pipeline(ElementFractionTransformer(), DeepMLPRegressor(**target_net)),
    "TL: fine-tune": make_pipeline(
        ElementFractionTransformer(), DeepMLPRegressor(**target_net, weights=source)
    ),
    "RL: Ridge on activations": search.best_estimator_,
    # TL+RL: the activations feed a network copied from the source but for its first layer;
    # the paper starts that layer at random, sktl's default bridges it by least squares onto
    # the source's own first layer, so the copied layers see the inputs they were trained on
    "TL+RL, first layer random (paper)": make_pipeline(
        ElementFractionTransformer(),
        TLRLRegressor(
            weights=source,
            layer=best["layer__layer"],
            activation=best["layer__activation"],
            bridge="random",
            regressor=DeepMLPRegressor(**target_net),
        ),
    ),  # fmt: skip
    "TL+RL, first layer bridged": make_pipeline(
        ElementFractionTransformer(),
        TLRLRegressor(
            weights=source,
            layer=best["layer__layer"],
            activation=best["layer__activation"],
            regressor=DeepMLPRegressor(**target_net),
        ),
    ),  # fmt: skip
}
predictions = {}
for name, model in models.items():
    if name != "RL: Ridge on activations":
        model.fit(train[["formula"]], y_train)
    predictions[name] = model.predict(test[["formula"]])
    print(f"{name:34s} test MAE = {np.mean(np.abs(predictions[name] - y_test)):.3f} eV/atom")
tl = models["TL: fine-tune"].set_params(deepmlpregressor__mc_dropout=0)
off = np.mean(np.abs(tl.predict(test[["formula"]]) - y_test))
print(f"TL: fine-tune with dropout off at prediction: test MAE = {off:.3f} eV/atom")

fig = plot_parity(y_test, predictions, ["formation energy (eV/atom)"])
fig.savefig(out / "tlrl_parity.png", dpi=110)
