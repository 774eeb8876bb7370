"""porespy_reference.py is a script run in an environment with PoreSpy, not a test module:
pytest (with --doctest-modules) must not import it."""

collect_ignore = ["porespy_reference.py"]
