"""Ads benchmark, part 3: automatic audience vs demographic targeting, replayed on ML-100K."""

import sys

from unifeed.bench.ads_replay import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
