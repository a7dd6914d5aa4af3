"""``python -m importers.ecspresso``: see the package docstring."""

import os
import sys

from topology.errors import command

from .cli import main

try:
    code = command(main)
    sys.stdout.flush()
except BrokenPipeError:  # the report piped into `head`: not an error of the import
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    code = 141  # as a shell reports a writer stopped by SIGPIPE
raise SystemExit(code)
