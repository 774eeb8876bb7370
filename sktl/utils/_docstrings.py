"""Shared parameter sections substituted into class docstrings."""

from __future__ import annotations


def fill_doc(**sections: str):
    """Class decorator: replace each ``    %(name)s`` line of the docstring by ``sections[name]``.

    Each family keeps its own section texts (their defaults differ); this is the one mechanism.
    A placeholder left unfilled is an error, so a typo cannot reach the rendered docs.
    """

    def decorate(cls):
        doc = cls.__doc__
        for name, text in sections.items():
            doc = doc.replace(f"    %({name})s", text.strip("\n"))
        if "%(" in doc:
            raise RuntimeError(f"{cls.__name__}: unfilled docstring placeholder in {doc!r}")
        cls.__doc__ = doc
        return cls

    return decorate
