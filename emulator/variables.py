"""What an emulator command tells the moto server it starts, through the server's environment: named once.

emulator/server.py (the project's Python) writes them, emulator/serve.py (the emulator's Python) reads them; this
module imports nothing, so both sides can import it.
"""

from __future__ import annotations

CERTIFICATES = "INTERNAL_API_EMULATOR_CERTIFICATES"
"""Comma-separated certificate ARNs the selected system declares: the server stands them in."""
OWNER = "INTERNAL_API_EMULATOR_OWNER"
"""The process ID of the command that started the server: the server stops once it is gone."""
FORK_SERVER = "INTERNAL_API_EMULATOR_FORK_SERVER"
"""The socket of the test run's fork server (tests/conftest.py), when there is one."""
