"""Decode an optimised RGB image into phase labels with K-means."""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans


def decode(image: np.ndarray, colours: np.ndarray, random_state=None) -> np.ndarray:
    """K-means (K = number of phases) on the pixel colours, clusters matched to phase colours.

    Parameters
    ----------
    image : ndarray of shape (H, W, 3) or (D, H, W, 3)
        An RGB image or volume.
    colours : ndarray of shape (K, 3)
        Encoded colour of each phase; also the K-means initial centres.
    random_state : int, RandomState or None
        Seeds K-means.

    Returns
    -------
    labels : ndarray of shape (H, W) or (D, H, W), int
        Phase indices 0..K-1.
    """
    spatial = image.shape[:-1]
    pixels = image.reshape(-1, 3).astype(np.float64)
    k = len(colours)
    km = KMeans(
        n_clusters=k, init=np.asarray(colours, np.float64), n_init=1, random_state=random_state
    )
    assign = km.fit_predict(pixels)
    # one-to-one matching of clusters to phases (nearest encoded colour, no phase used twice)
    cost = ((km.cluster_centers_[:, None, :] - colours[None, :, :]) ** 2).sum(-1)
    rows, cols = linear_sum_assignment(cost)
    mapping = np.empty(k, dtype=np.int64)
    mapping[rows] = cols
    return mapping[assign].reshape(spatial)
