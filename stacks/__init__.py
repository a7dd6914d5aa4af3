"""The Terraform side: stacks and one construct per concept.

Importing this package installs the provider import hook first (see
``fast_import``), so every module below imports provider submodules the usual way.
"""

from . import fast_import

fast_import.install()
