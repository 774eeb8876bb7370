"""
Structure -> stiffness: transfer CNN, custom CNN and two-point statistics
=========================================================================

Periodic two-phase microstructures (Gaussian-random-field blobs, overlapping discs, Voronoi
edges) and their homogenised plane-strain stiffness, computed by the FFT solver muSpectre, come
from :func:`sktl.datasets.make_stiffness`. Three models predict all six components at once:

* the PyMKS-style baseline: two-point statistics -> PCA -> quadratic -> linear regression;
* a small CNN trained from scratch (:class:`sktl.cnn.CNNRegressor`);
* the normalised VGG19 cut at pool3 (Li et al. 2018's cut), backbone frozen, with a global
  average pooling + dense head (:class:`sktl.cnn.TransferCNNRegressor`;
  ``pooling="flatten"`` is Li et al.'s head, which overfits more at this sample size).

Run: ``python examples/plot_structure_property.py`` (about a minute on a laptop CPU; needs
``pip install muspectre``; writes ``out/structure_property_parity.png`` and
``out/structure_property_loss.png``).
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import numpy as np
from sklearn.decomposition import PCA
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures

from sktl.cnn import CNNRegressor, TransferCNNRegressor
from sktl.datasets import make_stiffness
from sktl.descriptors import TwoPointStatsTransformer
from sktl.plotting import plot_loss_curves, plot_parity

data = make_stiffness(160, size=32, generator="mixed", random_state=0)
X_train, X_test = data.images[:100], data.images[100:]
y_train, y_test = data.targets[:100], data.targets[100:]
print("test std per component:", dict(zip(data.target_names, y_test.std(axis=0).round(3))))

models = {
    "2-point + PCA": make_pipeline(
        TwoPointStatsTransformer(cutoff=8),
        PCA(n_components=8),
        PolynomialFeatures(degree=2),
        LinearRegression(),
    ),
    "CNN": CNNRegressor(filters=8, max_epochs=30, random_state=0),
    "VGG19 pool3 head-only": TransferCNNRegressor(
        layer="pool3",
        pooling="avg",
        freeze="all",
        head_units=(256, 128),
        max_epochs=30,
        random_state=0,
    ),
}
predictions, histories = {}, {}
for name, model in models.items():
    predictions[name] = model.fit(X_train, y_train).predict(X_test)
    if hasattr(model, "history_"):
        histories[name] = model.history_
    rel_mae = np.abs(predictions[name] - y_test).mean(axis=0) / y_test.std(axis=0)
    print(f"{name:>24}: mean relative MAE {rel_mae.mean():.3f}")

out = Path("out")
out.mkdir(exist_ok=True)
parity = plot_parity(y_test, predictions, data.target_names)
parity.savefig(out / "structure_property_parity.png")
losses = plot_loss_curves(histories)
losses.savefig(out / "structure_property_loss.png")
