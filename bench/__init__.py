"""Benchmarks, run from a checkout as `python bench/NAME.py`; figures go to docs/benchmarks.md.

Development tooling: not installed with the package, and nothing in `unifeed` imports it.
"""
