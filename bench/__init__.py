"""Benchmarks: `python bench/summaries.py` (or `python -m bench.summaries`)."""
