"""The Terraform side: stacks and one construct per concept.

Importing this package first points jsii at the project's pinned LTS Node
(``toolchain.node``), then installs the provider import hook (see ``fast_import``),
so every module below imports provider submodules the usual way.
"""

from toolchain.node import use_project_node

from . import fast_import

use_project_node()
fast_import.install()
