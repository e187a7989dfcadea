"""Entry point of `python -m smarketing`."""

import sys

from smarketing.cli import main

sys.exit(main())
