"""Ads benchmark: parts 1 and 2 in the simulated marketplace, part 3 replayed on ML-100K."""

import sys

from unifeed.bench.ads import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
