"""``python -m skdistill``: the command line."""

import sys

from ._cli.command import main

sys.exit(main())
