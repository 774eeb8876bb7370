"""Public base classes of sktl's estimators, for code that extends or checks them.

* :class:`SkorchRegressorBase`: the one skorch fit skeleton (validation, target scaling,
  seeding, early stopping, interrupts) under every torch regressor;
* :class:`BaseMultimodalRegressor` and :class:`BaseCNNRegressor`: the DMTL-R family's and the
  image CNNs' shared input handling on top of it;
* :class:`PortableStateMixin`: the torch-free pickled state that lets fitted models load with
  ``skops.io`` as well as joblib.

Interrupts (Ctrl-C), the rule of every sktl estimator, by kind:

* a single network (the skorch regressors) keeps the weights of its last finished epoch, sets
  ``interrupted_ = True`` and warns; interrupted before the first epoch finished, it raises;
* a search (:class:`sktl.automl.HyperoptRegressor`) keeps the trials that finished, uses the
  best, sets ``interrupted_ = True`` and warns how many finished; with none finished, it
  raises. A time limit, when one is added, ends a search the same way;
* a stack of independent members (:class:`sktl.CompositionRegressor`) keeps the members
  that finished all their folds, sets ``interrupted_ = True`` and warns which were left out;
  interrupted in its first member, it raises. Its ``time_budget`` ends it the same way
  (``interrupted_`` stays False, ``skipped_members_`` says why);
* anything that needs all its parts (``MultimodalRegressor(fusion="stack")``, a
  multi-target search interrupted before its last target, the reconstructor's ``fit`` and
  ``sample``) raises the KeyboardInterrupt again.

Whenever the KeyboardInterrupt (or any exception) is raised, the estimator is left exactly as
it was before the call. An estimator with ``interrupted_`` sets it to False when its fit runs
to the end.

Settings that cannot take effect: a parameter set away from its default in a configuration
where it does nothing (``patience`` with ``early_stopping=False``, the reconstructor's ``lr``
with L-BFGS-B, ...) is named in a UserWarning by ``fit``, once per fit; left at its default it
stays silent (a grid search may cross such parameters, so this warns rather than fails). A
configuration that can do nothing at all (a reconstruction loss whose every weight is zero)
is a ValueError.
"""

from ._nn._skorch import SkorchRegressorBase
from .cnn._base import BaseCNNRegressor
from .multimodal._base import BaseMultimodalRegressor
from .persistence._portable import PortableStateMixin

__all__ = [
    "BaseCNNRegressor",
    "BaseMultimodalRegressor",
    "PortableStateMixin",
    "SkorchRegressorBase",
]
