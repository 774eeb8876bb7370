"""Periodic two-point statistics of binary microstructures (the PyMKS-style baseline)."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils.validation import check_is_fitted

from ..images import validate_images
from ..utils._atomic import atomic_fit
from ..utils._vocabulary import vocabulary


@vocabulary
class TwoPointStatsTransformer(TransformerMixin, BaseEstimator):
    """Two-point autocorrelation of phase 1, computed with FFTs on periodic images.

    ``S2(r) = P(x in phase 1 and x + r in phase 1)``, for every lattice vector ``r`` of a
    periodic image, is ``ifft2(|fft2(m)|^2) / (H W)`` of the indicator ``m``. ``S2(0)`` is the
    volume fraction. Vectors are laid out with r = 0 at the centre and cropped to
    ``|dy|, |dx| <= cutoff``. With PCA and a polynomial regression this is the PyMKS baseline::

        make_pipeline(TwoPointStatsTransformer(cutoff=10), PCA(5), PolynomialFeatures(2),
                      LinearRegression())

    Parameters
    ----------
    cutoff : int or None, default=None
        Keep correlation vectors with ``|dy|, |dx| <= cutoff`` pixels ((2 cutoff + 1)^2
        features, fewer if the image is smaller); None keeps all H * W.
    threshold : float or None, default=None
        None requires binary images (values 0 and 1, or bool); a number binarises at
        ``pixel > threshold`` instead, on the raw pixel values (no ``intensity_range``: a
        threshold of 127 reads uint8 images as they are).
    image_shape : tuple or None, default=None
        (H, W) of the packed 2-D form (n, H*W); one of H, W may be -1.

    Attributes
    ----------
    image_shape_ : tuple of int
        (H, W, 1) of the images seen in ``fit``.
    window_ : (int, int)
        Half-widths (dy, dx) of the kept window.
    n_features_in_ : int
        H * W.
    n_features_out_ : int
        Number of correlation vectors kept: the output width.
    feature_names_in_ : ndarray of str of shape (``n_features_in_``,)
        Column names of ``X``, when ``fit`` is given a DataFrame of packed images whose column
        names are all strings.

    Examples
    --------
    >>> import numpy as np
    >>> from sktl.descriptors import TwoPointStatsTransformer
    >>> X = (np.random.default_rng(0).random((3, 16, 16)) > 0.5).astype(float)
    >>> TwoPointStatsTransformer(cutoff=2).fit_transform(X).shape
    (3, 25)
    """

    def __init__(self, *, cutoff=None, threshold=None, image_shape=None):
        self.cutoff = cutoff
        self.threshold = threshold
        self.image_shape = image_shape

    def _indicator(self, X, reset: bool) -> np.ndarray:
        images = validate_images(self, X, reset=reset, image_shape=self.image_shape)
        if images.shape[-1] != 1:
            raise ValueError(
                f"Two-point statistics need single-phase-indicator (grayscale) images; got "
                f"{images.shape[-1]} channels. Pass one phase's indicator (or a label image "
                "with threshold=...) of shape (n, H, W)."
            )
        images = np.asarray(images)[..., 0]  # a streamed set is read: every pixel is needed
        if self.threshold is not None:
            return (images > self.threshold).astype(np.float64)
        values = np.unique(images)
        if not np.isin(values, (0, 1)).all():
            raise ValueError(
                f"Two-point statistics need binary images (0/1); found values such as "
                f"{values[~np.isin(values, (0, 1))][:3].tolist()}. Pass threshold=... to "
                "binarise them."
            )
        return images.astype(np.float64)

    @atomic_fit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the images and fix the correlation window.

        Parameters
        ----------
        X : array-like
            Binary images of shape (n, H, W), (n, H, W, 1), or (n, H*W) with ``image_shape``.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted transformer.
        """
        self._indicator(X, reset=True)
        h, w = self.image_shape_[:2]
        c = np.inf if self.cutoff is None else self.cutoff
        self.window_ = (int(min(c, h // 2)), int(min(c, w // 2)))
        ky, kx = self._extent()
        self.n_features_out_ = ky * kx
        return self

    def _extent(self):
        h, w = self.image_shape_[:2]
        dy, dx = self.window_
        # an even side keeps its unpaired -side//2 vector only when the whole image is kept
        ky = h if self.cutoff is None or 2 * dy + 1 > h else 2 * dy + 1
        kx = w if self.cutoff is None or 2 * dx + 1 > w else 2 * dx + 1
        return ky, kx

    def _offsets(self):
        h, w = self.image_shape_[:2]
        ky, kx = self._extent()
        oy = np.fft.fftshift(np.fft.fftfreq(h, 1 / h)).astype(int)
        ox = np.fft.fftshift(np.fft.fftfreq(w, 1 / w)).astype(int)
        cy, cx = h // 2, w // 2  # index of r = 0 after fftshift
        sy = slice(cy - ky // 2, cy - ky // 2 + ky) if ky < h else slice(0, h)
        sx = slice(cx - kx // 2, cx - kx // 2 + kx) if kx < w else slice(0, w)
        return sy, sx, oy[sy], ox[sx]

    def transform(self, X):
        """Two-point autocorrelation of each image, flattened.

        Parameters
        ----------
        X : array-like
            Binary images of the shape seen in ``fit``.

        Returns
        -------
        S2 : ndarray of shape (n_samples, ``n_features_out_``)
            S2 of each kept correlation vector, in the order of
            :meth:`get_feature_names_out`.
        """
        check_is_fitted(self, "window_")
        m = self._indicator(X, reset=False)
        n, h, w = m.shape
        f = np.fft.rfft2(m)
        s2 = np.fft.irfft2(f * f.conj(), s=(h, w)) / (h * w)
        s2 = np.fft.fftshift(s2, axes=(1, 2))
        sy, sx, _, _ = self._offsets()
        return np.ascontiguousarray(s2[:, sy, sx].reshape(n, -1))

    def get_feature_names_out(self, input_features=None):
        """Names ``"s2_dy{dy}_dx{dx}"`` of the correlation vectors.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Ignored: the names depend only on the kept window.

        Returns
        -------
        feature_names_out : ndarray of str of shape (``n_features_out_``,)
            One name per correlation vector, in column order.
        """
        check_is_fitted(self, "window_")
        _, _, oy, ox = self._offsets()
        return np.asarray([f"s2_dy{a}_dx{b}" for a in oy for b in ox], dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags
