"""Torch plumbing shared by every family: device and seeding, batches, dense stacks, the skorch
fit skeleton and its callbacks. Private: the estimators' public API is their constructors."""
