"""Unifeed: one learned model ranks everything a feed can show."""

__version__ = "0.1.0"
