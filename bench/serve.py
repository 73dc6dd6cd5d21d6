"""Serving benchmark (feed latency under load, event ingestion); see unifeed/bench/serve.py."""

from unifeed.bench.serve import main

if __name__ == "__main__":  # the benchmark spawns worker processes that import this file
    raise SystemExit(main())
