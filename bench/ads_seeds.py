"""Ads benchmark across worlds: the flight of bench/ads.py once per seed, and the spread."""

import sys

from unifeed.bench.ads_seeds import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
