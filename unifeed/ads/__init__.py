"""Ads: campaigns from an objective and a budget; auction, pacing, ledger, reports."""
