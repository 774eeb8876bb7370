"""Shared parameter texts substituted into docstrings (imbalanced-learn's ``Substitution``)."""

from __future__ import annotations

import inspect
import re
import textwrap

from ._parameter_docs import ATTRIBUTE_DOCS, GROUPS, PARAMETER_DOCS

_PLACEHOLDER = re.compile(r"^( +)%\((\w+)\)s$", re.MULTILINE)


def _literal(value) -> str:
    """A default as numpydoc type lines write it: "cpu", 1e-3, (256,), None."""
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, float) and value and abs(value) < 1e-2:
        mantissa, exponent = f"{value:.0e}".split("e")
        if float(f"{mantissa}e{exponent}") == value:
            return f"{mantissa}e{int(exponent)}"
    return repr(value)


def _entry(indent: str, name: str, kind: str, description: str, default) -> str:
    head = f"{indent}{name} : {kind}"
    if default is not inspect.Parameter.empty:
        head += f", default={_literal(default)}"
    body = textwrap.fill(
        description, width=96, initial_indent=indent + " " * 4, subsequent_indent=indent + " " * 4
    )
    return f"{head}\n{body}"


def fill_doc(groups=None, **texts):
    """Decorator: fill each ``%(name)s`` line of a class or function docstring.

    A placeholder named after a parameter becomes its numpydoc entry: the type and the
    description of :data:`~sktl.utils._parameter_docs.PARAMETER_DOCS` (or the description
    given here as ``name="..."``), and the default read from the signature, so the text is
    written once and the default cannot go stale. A placeholder named after a fitted attribute
    of :data:`~sktl.utils._parameter_docs.ATTRIBUTE_DOCS` (``history_``, ...) becomes its
    entry the same way. A text given here that starts with a newline is a block of whole
    entries, pasted as it is (a family's own parameters shared by its classes). A placeholder
    left unfilled is an error, so a typo cannot reach the rendered docs.

    A placeholder named after a group of :data:`~sktl.utils._parameter_docs.GROUPS` (or of
    ``groups``, a family's own) first becomes one placeholder per name of the group that the
    signature has, in the group's order (attribute names all stay).
    """
    groups = {**GROUPS, **(groups or {})}

    def decorate(obj):
        target = obj.__init__ if isinstance(obj, type) else obj
        parameters = inspect.signature(target).parameters

        def replace(match):
            indent, name = match.groups()
            text = texts.get(name)
            if isinstance(text, str) and text.startswith("\n"):
                return textwrap.indent(textwrap.dedent(text.strip("\n")), indent)
            if name in ATTRIBUTE_DOCS and name not in parameters:
                kind, shared = ATTRIBUTE_DOCS[name]
                return _entry(indent, name, kind, text or shared, inspect.Parameter.empty)
            if name not in parameters:
                raise RuntimeError(
                    f"{obj.__name__}: docstring placeholder %({name})s is not a "
                    "parameter and no block was given for it"
                )
            if name not in PARAMETER_DOCS and not isinstance(text, tuple):
                raise RuntimeError(
                    f"{obj.__name__}: no shared text for parameter {name!r}; give "
                    f"{name}=(type, description)"
                )
            kind, shared = PARAMETER_DOCS.get(name, ("", ""))
            if isinstance(text, tuple):
                kind, text = text
            return _entry(indent, name, kind, text or shared, parameters[name].default)

        def expand(match):
            indent, name = match.groups()
            if name not in groups:
                return match.group(0)
            kept = [n for n in groups[name] if n in parameters or n.endswith("_")]
            return "\n".join(f"{indent}%({n})s" for n in kept)

        doc = _PLACEHOLDER.sub(replace, _PLACEHOLDER.sub(expand, obj.__doc__))
        if "%(" in doc:
            raise RuntimeError(f"{obj.__name__}: unfilled docstring placeholder in {doc!r}")
        obj.__doc__ = doc
        return obj

    return decorate
