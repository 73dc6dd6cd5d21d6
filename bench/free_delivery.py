"""Free delivery under late reporting: held slots against the auction of 1c6da54."""

import sys

from unifeed.bench.free_delivery import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
