"""Embedded language-model runtimes (speed, valid JSON); see unifeed/bench/llm_runtimes.py."""

from unifeed.bench.llm_runtimes import main

if __name__ == "__main__":
    raise SystemExit(main())
