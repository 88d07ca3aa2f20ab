"""``python -m matching`` — see :mod:`matching.cli`."""

import sys

from matching.cli import main

if __name__ == "__main__":
    sys.exit(main())
