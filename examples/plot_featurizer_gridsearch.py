"""
Pretrained VGG19 features in a GridSearchCV
===========================================

Cut 64x64 tiles from two real microstructures of Li et al. (2018), featurise them with the
normalised VGG19 (offline ImageNet weights) at two depths, and let ``GridSearchCV`` pick the
layer for a ridge regression of each tile's volume fraction. Random weights are the control.

Run: ``python examples/plot_featurizer_gridsearch.py`` (writes ``out/featurizer_parity.png``).
The images are embedded in sktl (:func:`sktl.datasets.load_li2018`; CC BY 4.0, Li et al. 2018).
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import GridSearchCV, KFold, cross_val_predict
from sklearn.pipeline import Pipeline

from sktl import PretrainedCNNFeaturizer
from sktl.datasets import load_li2018

li2018 = load_li2018(["carbonate", "copolymer"], size=256)

tiles = []
for image in li2018.images.values():
    for i in range(0, 193, 32):
        for j in range(0, 193, 32):
            tiles.append(image[i : i + 64, j : j + 64])
X = np.stack(tiles)
y = X.reshape(len(X), -1).mean(axis=1)  # volume fraction of phase 1
print(f"{len(X)} tiles, volume fraction {y.min():.2f} .. {y.max():.2f}")

cv = KFold(5, shuffle=True, random_state=0)
results = {}
for weights in ("vgg19_normalised", None):
    pipe = Pipeline(
        [
            (
                "cnn",
                PretrainedCNNFeaturizer(
                    backbone="vgg19",
                    layer="pool3",
                    weights=weights,
                    intensity_range=(0, 1),
                    random_state=0,
                ),
            ),
            ("ridge", RidgeCV(alphas=np.logspace(-3, 3, 13))),
        ]
    )
    search = GridSearchCV(pipe, {"cnn__layer": ["pool2", "pool3"]}, cv=cv, scoring="r2").fit(X, y)
    results[weights] = search
    print(
        f"weights={weights!s:17s} best layer {search.best_params_['cnn__layer']}, "
        f"CV R2 = {search.best_score_:.4f}"
    )

best = results["vgg19_normalised"].best_estimator_
pred = cross_val_predict(best, X, y, cv=cv)
fig, ax = plt.subplots(figsize=(4, 4))
ax.scatter(y, pred, s=12)
ax.plot([y.min(), y.max()], [y.min(), y.max()], "k--", lw=1)
ax.set(xlabel="true volume fraction", ylabel="predicted", title="VGG19 features + ridge")
fig.tight_layout()
out = Path("out")
out.mkdir(exist_ok=True)
fig.savefig(out / "featurizer_parity.png", dpi=120)
