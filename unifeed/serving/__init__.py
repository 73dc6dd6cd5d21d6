"""Serving: the live catalogue, the rankers, the feed, training from the store."""
