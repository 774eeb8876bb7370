"""Reproductions of the founding papers' tables."""
