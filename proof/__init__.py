"""The proof that the system is internal only: the checker (verify), the plan review, the checkov scan."""
