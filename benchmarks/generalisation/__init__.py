"""The methods on data they were not tuned on: settings chosen on design sets, reported on others."""
