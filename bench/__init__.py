"""Benchmarks (``make bench``): each figure printed beside the ceiling measured in the same run."""
