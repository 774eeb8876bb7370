"""sktl's benchmarks, run from a checkout as modules: ``python -m benchmarks.<group>.<name>``.

* :mod:`benchmarks.paper`: reproductions of the founding papers' tables;
* :mod:`benchmarks.generalisation`: the methods on data they were not tuned on, design and
  report sets apart;
* :mod:`benchmarks.speed`: time and memory, as ratios against a baseline run in the same
  process.

Every script takes ``--out``, ``--seed``, ``--quick`` (a few minutes, for people) and
``--smoke`` (seconds, run by the test suite); :mod:`benchmarks.common` holds them.
"""
