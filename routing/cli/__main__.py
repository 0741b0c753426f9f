"""``python -m routing.cli``: the same as the ``nearshore`` command."""

import sys

from routing.cli.main import main

sys.exit(main())
