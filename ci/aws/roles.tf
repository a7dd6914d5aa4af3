# The two roles the workflow (ci/github/terraform.yml) assumes in one environment's account, by GitHub's OIDC.
# Apply once per account, with an administrator's credentials:
#
#   terraform -chdir=ci/aws init
#   terraform -chdir=ci/aws apply -var repository=my-org/my-repo -var environment=prod \
#     -var state_bucket=my-state-bucket
#
# then set the repository variables AWS_PLAN_ROLE_<env> and AWS_DEPLOY_ROLE_<env> to the two outputs (docs/ci.md).
# - plan:   read-only (ReadOnlyAccess), plus writing the state's lock object (`use_lockfile`: <key>.tflock);
#           any pull request of the repository may assume it.
# - deploy: AdministratorAccess by default (narrow deploy_policy_arn to what your stacks create); only a job of the
#           repository's GitHub environment <environment> (protected: required reviewers, main only) may assume it.

terraform {
  required_version = ">= 1.10"
  required_providers {
    aws = { source = "hashicorp/aws", version = "5.100.0" }
  }
}

variable "repository" {
  type        = string
  description = "owner/name of the GitHub repository whose workflow assumes the roles"
}

variable "environment" {
  type        = string
  description = "the environment this account holds (ENV=); the deploy role trusts only the GitHub environment of that name"
}

variable "state_bucket" {
  type        = string
  description = "the S3 bucket of the Terraform state (INTERNAL_API_STATE_BUCKET)"
}

variable "create_oidc_provider" {
  type        = bool
  default     = true
  description = "false when the account already has GitHub's OIDC provider (one per account)"
}

variable "deploy_policy_arn" {
  type        = string
  default     = "arn:aws:iam::aws:policy/AdministratorAccess"
  description = "the managed policy of the deploy role"
}

locals {
  issuer = "token.actions.githubusercontent.com"
}

data "aws_caller_identity" "current" {}

resource "aws_iam_openid_connect_provider" "github" {
  count          = var.create_oidc_provider ? 1 : 0
  url            = "https://${local.issuer}"
  client_id_list = ["sts.amazonaws.com"]
}

locals {
  provider_arn = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:oidc-provider/${local.issuer}"
}

# Who may assume each role: the same trust (GitHub's OIDC provider, aud = sts.amazonaws.com), one subject each.
locals {
  trusted_subject = {
    plan   = "repo:${var.repository}:pull_request"
    deploy = "repo:${var.repository}:environment:${var.environment}"
  }
}

data "aws_iam_policy_document" "trust" {
  for_each = local.trusted_subject
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [local.provider_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.issuer}:aud"
      values   = ["sts.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.issuer}:sub"
      values   = [each.value]
    }
  }
}

data "aws_iam_policy_document" "state_lock" {
  statement {
    sid       = "LockObjectOnly"
    actions   = ["s3:PutObject", "s3:DeleteObject"]
    resources = ["arn:aws:s3:::${var.state_bucket}/*.tflock"]
  }
}

# One role per subject: terraform-plan-<env> and terraform-deploy-<env>, each with its own trust document.
resource "aws_iam_role" "ci" {
  for_each             = local.trusted_subject
  name                 = "terraform-${each.key}-${var.environment}"
  assume_role_policy   = data.aws_iam_policy_document.trust[each.key].json
  max_session_duration = 3600
  depends_on           = [aws_iam_openid_connect_provider.github]
}

# The roles were two resources before; an account that applied that version keeps them.
moved {
  from = aws_iam_role.plan
  to   = aws_iam_role.ci["plan"]
}

moved {
  from = aws_iam_role.deploy
  to   = aws_iam_role.ci["deploy"]
}

resource "aws_iam_role_policy_attachment" "plan_read" {
  role       = aws_iam_role.ci["plan"].name
  policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
}

resource "aws_iam_role_policy" "plan_lock" {
  name   = "state-lock"
  role   = aws_iam_role.ci["plan"].id
  policy = data.aws_iam_policy_document.state_lock.json
}

resource "aws_iam_role_policy_attachment" "deploy" {
  role       = aws_iam_role.ci["deploy"].name
  policy_arn = var.deploy_policy_arn
}

output "plan_role_arn" {
  value = aws_iam_role.ci["plan"].arn
}

output "deploy_role_arn" {
  value = aws_iam_role.ci["deploy"].arn
}
