"""What every stack has: the AWS provider and a state backend.

Local state lives in ``state/<stack>.tfstate`` at the project root, written as a
path *relative* to the stack's working directory (``cdktf.out/stacks/<stack>``),
so the synthesized JSON never holds a path of the machine that ran synth; the
services stack's ``terraform_remote_state`` for ``network`` resolves the same
relative path from its own directory, which is at the same depth.
"""

from __future__ import annotations

from cdktf import LocalBackend, S3Backend, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderDefaultTags

from topology import Settings

TO_PROJECT_ROOT = "../../.."
"""From a stack's working directory, ``cdktf.out/stacks/<stack>``, back to the project root."""


def configure_stack(stack: TerraformStack, stack_id: str, settings: Settings) -> AwsProvider:
    provider = AwsProvider(
        stack,
        "aws",
        region=settings.region,
        allowed_account_ids=[settings.account_id] if settings.account_id else None,
        default_tags=[
            AwsProviderDefaultTags(tags={**dict(settings.tags), "Project": settings.project, "ManagedBy": "cdktf", "Stack": stack_id})
        ],
    )
    if settings.state is None:
        LocalBackend(stack, path=f"{TO_PROJECT_ROOT}/{settings.local_state_dir}/{stack_id}.tfstate")
    else:
        S3Backend(
            stack,
            bucket=settings.state.bucket,
            key=f"{settings.state.key_prefix}/{stack_id}.tfstate",
            region=settings.state.region,
            encrypt=True,
        )
        # Terraform >= 1.10 locks with a lock file next to the state object; cdktf 0.21's
        # S3Backend has no property for it yet, so it is set as a raw override.
        stack.add_override("terraform.backend.s3.use_lockfile", True)
    return provider
