"""
Images + descriptors: DMTL-R on spinodal decomposition
======================================================

Each sample of the embedded spinodal set is a composition field (an image) with the process
parameters that made it (descriptors). A GridSearchCV chooses between the multimodal regressor
(its default, a cross-validated stack of joint and single-modality members), the paper's
DMTL-R network (``DMTLR_PAPER``) and the two single-modality baselines as values of one
Pipeline step; the frozen EfficientNet-Lite0 features are computed once and reused by every
fold and candidate.

Run: ``python examples/plot_multimodal_spinodal.py`` (a few minutes on one core; writes
``out/multimodal_parity.png``).
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import numpy as np
from sklearn.model_selection import GridSearchCV, KFold, train_test_split
from sklearn.pipeline import Pipeline

from sktl import (
    DMTLR_PAPER,
    DescriptorRegressor,
    ImageRegressor,
    MultimodalRegressor,
    multimodal_input,
)
from sktl.datasets import load_spinodal
from sktl.plotting import plot_parity

data = load_spinodal()
names = list(data.target_names)
target = names.index("volume_fraction")
X = multimodal_input(data.images, data.descriptors)
y = data.targets[:, target]
idx_train, idx_test = train_test_split(np.arange(len(y)), test_size=1 / 3, random_state=0)

image_kw = dict(
    backbone="efficientnet_lite0",
    layer="stage5",
    weights="imagenet",
    intensity_range=(float(data.images.min()), float(data.images.max())),
    max_epochs=40,
    weight_decay=1e-3,
    random_state=0,
)
grid = {
    "model": [
        MultimodalRegressor(**image_kw),
        MultimodalRegressor(**{**DMTLR_PAPER, **image_kw}),
        ImageRegressor(**image_kw),
        DescriptorRegressor(max_epochs=40, weight_decay=1e-3, random_state=0),
    ]
}
search = GridSearchCV(
    Pipeline([("model", DescriptorRegressor())]), grid, cv=KFold(3, shuffle=True, random_state=0)
)
search.fit(X[idx_train], y[idx_train])
for params, score in zip(search.cv_results_["params"], search.cv_results_["mean_test_score"]):
    model = params["model"]
    label = type(model).__name__ + (" (paper)" if getattr(model, "fusion", "") == "concat" else "")
    print(f"{label:30s} CV R2 = {score:.3f}")
print(
    f"best: {type(search.best_params_['model']).__name__}, "
    f"test R2 = {search.score(X[idx_test], y[idx_test]):.3f}"
)

fig = plot_parity(y[idx_test], {"best model": search.predict(X[idx_test])}, [names[target]])
out = Path("out")
out.mkdir(exist_ok=True)
fig.savefig(out / "multimodal_parity.png", dpi=110)
