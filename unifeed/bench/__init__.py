"""Benchmarks: `unifeed bench NAME` or `python bench/NAME.py`; figures go to docs/benchmarks.md."""
