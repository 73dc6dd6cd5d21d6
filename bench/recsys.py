"""Sequential recommendation benchmark; see unifeed/bench/recsys.py."""

from unifeed.bench.recsys import main

if __name__ == "__main__":  # the benchmark spawns worker processes that import this file
    raise SystemExit(main())
