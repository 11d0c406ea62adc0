"""`python -m livedream` runs the command line."""

import sys

from livedream.cli.main import main

sys.exit(main())
