"""Cold-start benchmark on MovieLens 100K; see unifeed/bench/coldstart.py."""

from unifeed.bench.coldstart import main

if __name__ == "__main__":  # the benchmark spawns worker processes that import this file
    raise SystemExit(main())
