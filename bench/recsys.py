"""Sequential recommendation benchmark; see unifeed/bench/recsys.py."""

from unifeed.bench.recsys import main

raise SystemExit(main())
