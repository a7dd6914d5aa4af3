"""The live check: the proof's claims on what actually runs in the account, and the drift from the declaration.

``read`` takes the account's state through botocore (read-only, paginated, batched);
``check`` compares it with the declaration (``proof.verify.declaration``); ``cli`` is
``python -m proof.live``. It reads whatever account botocore is pointed at: AWS with
the user's credentials, or the emulator under ``make local-exec`` (``make verify-live``).
"""
