"""Seeded multimodal data sets of the multimodal tests."""

import numpy as np
import pytest

from sktl import multimodal_input


def _images_and_descriptors(rng, n, n_desc, low):
    """n random 16x16 images of random overall brightness, and n_desc normal descriptors."""
    images = rng.random((n, 16, 16)).astype(np.float32)
    images *= rng.uniform(low, 1.0, (n, 1, 1)).astype(np.float32)
    return images, rng.normal(size=(n, n_desc))


@pytest.fixture
def data(rng):
    """Targets that need both modalities: image brightness and one descriptor."""
    images, desc = _images_and_descriptors(rng, 90, 4, 0.2)
    brightness = images.mean(axis=(1, 2))
    brightness = (brightness - brightness.mean()) / brightness.std()
    y = np.column_stack([brightness + desc[:, 0], desc[:, 1] - desc[:, 2]])
    return multimodal_input(images, desc), y


@pytest.fixture
def two_modalities(rng):
    """Target 0 is exactly linear in the descriptors; target 1 is the image brightness only."""
    images, desc = _images_and_descriptors(rng, 160, 5, 0.1)
    exact = desc @ np.array([1.0, -2.0, 0.5, 0.0, 3.0])
    return multimodal_input(images, desc), np.column_stack([exact, 10 * images.mean(axis=(1, 2))])
