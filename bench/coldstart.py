"""Cold-start benchmark on MovieLens 100K; see unifeed/bench/coldstart.py."""

from unifeed.bench.coldstart import main

raise SystemExit(main())
