"""Evaluation sets, runner and benchmarks."""
