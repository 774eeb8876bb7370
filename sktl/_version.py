"""The one version string: the package metadata, the docs and the CHANGELOG's top entry."""

__version__ = "1.1.0.dev0"
