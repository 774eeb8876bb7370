"""Maintainer scripts that regenerate the data files sktl ships; not part of the installed
package. Run them from a checkout, e.g. ``python -m tools.make_embedded --check``."""
