"""Install time and size of each embedded-model runtime; see unifeed/bench/llm_install.py."""

from unifeed.bench.llm_install import main

if __name__ == "__main__":
    raise SystemExit(main())
