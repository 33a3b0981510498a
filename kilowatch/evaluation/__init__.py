"""Measuring waste detection against the simulator's ground truth, and its speed."""
