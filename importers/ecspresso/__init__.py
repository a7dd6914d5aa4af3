"""Import ecspresso projects (one config per service) as a declaration module of this project.

    python -m importers.ecspresso --out systems/legacy.py internal.yml client.yml \\
        [--ext-str NAME=VALUE] [--ext-code NAME=CODE] [--env NAME=VALUE] \\
        [--ssm PATH=VALUE] [--secretsmanager-arn NAME=VALUE] [--tfstate ADDRESS=VALUE] \\
        [--calls CALLER=SERVER[,SERVER]]

The report on stdout lists every field: carried over, or not and why, with its
path in the source file; the calls the files show and those to declare by hand;
every template function and what became of it. Exit status: 0 module written;
1 module written but the declaration does not validate yet (the report says
why); 2 bad or unreadable input or an unresolved template value in a carried
field: one line (or one line per unresolved value), nothing written.
"""

from .cli import main

__all__ = ["main"]
