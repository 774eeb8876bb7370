"""Time and memory, as ratios against a baseline run in the same process."""
