"""Entry point of `python -m smarketing`."""

import sys

from smarketing.cli.main import main

sys.exit(main())
