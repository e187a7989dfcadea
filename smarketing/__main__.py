"""Entry point of `python -m smarketing`."""

import gc
import sys

# The start-up of a command imports SQLAlchemy, SQLModel and the models: several hundred
# thousand objects that live until the process ends. The cyclic garbage collector would
# walk them again and again while they are made (about a tenth of `report sla`); it is off
# until the command has imported what it needs (smarketing.cli.args.started).
gc.disable()

from smarketing.cli.main import main  # noqa: E402
from smarketing.runtime import share_the_interpreter  # noqa: E402

share_the_interpreter()  # (a sync reads while it writes; the worker runs jobs in threads)
sys.exit(main())
