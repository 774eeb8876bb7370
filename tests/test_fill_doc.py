"""fill_doc writes each shared parameter text once, with the signature's default."""

from __future__ import annotations

import inspect

import pytest

from sktl.utils._docstrings import fill_doc
from sktl.utils._parameter_docs import ATTRIBUTE_DOCS, PARAMETER_DOCS


def _documented(**texts):
    def f(lr=1e-3, device="cpu", head_units=(256,), special=2):
        """Do something.

        Parameters
        ----------
        %(lr)s
        %(device)s
        %(head_units)s
        %(special)s

        Attributes
        ----------
        %(history_)s
        """

    return inspect.cleandoc(fill_doc(**texts)(f).__doc__)


def test_entries_take_the_shared_text_and_the_signature_default():
    doc = _documented(special=("int", "A narrower meaning."))
    assert "lr : float, default=1e-3\n    Adam's learning rate." in doc
    assert 'device : str, default="cpu"\n' in doc
    assert "head_units : tuple of int, default=(256,)\n" in doc
    assert "special : int, default=2\n    A narrower meaning." in doc
    assert "history_ : list of dict\n    Per-epoch" in doc
    assert "%(" not in doc


def test_a_family_description_overrides_the_shared_one_and_keeps_the_type():
    doc = _documented(special=("int", "x"), device="The family's own device text.")
    assert 'device : str, default="cpu"\n    The family\'s own device text.' in doc


def test_a_raw_block_is_pasted_as_it_is():
    block = "\n    special : int, default=2\n        Written by the family.\n"
    doc = _documented(special=block)
    assert "special : int, default=2\n    Written by the family.\n" in doc


@pytest.mark.parametrize("texts", [{}, {"special": "a description without a type"}])
def test_a_parameter_without_shared_text_needs_a_type_and_a_description(texts):
    with pytest.raises(RuntimeError, match="no shared text for parameter 'special'"):
        _documented(**texts)


def test_a_placeholder_that_names_nothing_is_an_error():
    def f(a=1):
        """X.

        %(b)s
        """

    with pytest.raises(RuntimeError, match="not a parameter"):
        fill_doc()(f)


def test_shared_texts_are_complete_sentences():
    for kind, text in [*PARAMETER_DOCS.values(), *ATTRIBUTE_DOCS.values()]:
        assert kind and text.endswith((".", ".)", '?").')), text
