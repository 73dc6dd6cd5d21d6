"""Isolation benchmark (a client's feed while another attacks); see unifeed/bench/isolation.py."""

from unifeed.bench.isolation import main

if __name__ == "__main__":  # the benchmark spawns worker processes that import this file
    raise SystemExit(main())
