"""``python -m firmware_py`` is the same as the ``kneecue`` command."""

import sys

from firmware_py.cli import main

sys.exit(main())
