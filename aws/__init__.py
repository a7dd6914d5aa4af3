"""Commands against a real AWS account: diff, deploy, destroy (cdktf), after an STS identity check."""
