"""The shapes of AWS identifiers and of the names this project derives resource names from, defined once.

``validate`` (services, egress, existing networks) and ``entry_rules`` (load balancers)
check the same kinds of IDs; one definition keeps their one-line errors in agreement.
"""

from __future__ import annotations

import re

NAME_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$")
"""Service and entry names: they become container, log group, security group, load balancer and IAM role names,
so they stay short DNS-like labels (IAM role names are limited to 64 characters, ELB names to 32)."""
NAME_LABEL_RULE = "1-32 characters of lowercase letters, digits or '-', not starting or ending with '-'"

SECURITY_GROUP_ID = re.compile(r"^sg-[0-9a-f]{8,17}$")
PREFIX_LIST_ID = re.compile(r"^pl-[0-9a-f]{8,17}$")
SUBNET_ID = re.compile(r"^subnet-[0-9a-f]{8,17}$")
VPC_ID = re.compile(r"^vpc-[0-9a-f]{8,17}$")
