"""The held-out weights of the S2 map's directional part (directional_s2="auto")."""

import numpy as np

from sktl.reconstruction._anisotropy import direction_weights, lag_rings


def test_four_equal_quadrants_trust_every_ring_and_independent_noise_trusts_few():
    rng = np.random.default_rng(0)
    tile = (rng.random((24, 24)) < 0.4).astype(int)
    tiled = np.tile(tile, (2, 2))  # four identical quadrants: their directions agree exactly
    weights = direction_weights([tiled], 2, r_max=24)
    assert weights.shape == (25,) and weights[0] == 0  # ring 0 has no direction
    np.testing.assert_allclose(weights[1:13], 1.0)
    np.testing.assert_allclose(weights[13:], 1.0)  # beyond the windows' reach: the outer rings'
    noise = (rng.random((96, 96)) < 0.4).astype(int)  # no direction to share
    assert direction_weights([noise], 2, r_max=48)[1:].mean() < 0.2


def test_too_small_examples_give_no_weights_and_rings_are_binned_by_rounded_length():
    assert direction_weights([np.zeros((30, 64), int)], 2, r_max=15) is None
    keep, ring, weight = lag_rings(2)
    assert keep.shape == (5, 5) and ring.max() == 2
    np.testing.assert_allclose(np.bincount(ring, weights=weight), 1.0)  # each ring sums to 1
