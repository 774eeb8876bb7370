"""Utilities shared by every sktl family: the parameter vocabulary."""
