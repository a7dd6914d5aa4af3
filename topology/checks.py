"""The plan-time checks of an existing subnet, each Terraform condition written once.

``stacks/existing.py`` writes them as postconditions of the data sources that read the subnet and its route
table; ``proof/verify/existing.py`` counts a subnet as proven when planned only when these exact conditions are
there. One definition, so that the writer and the proof cannot drift apart.
"""

from __future__ import annotations

NO_PUBLIC_IP = "${!self.map_public_ip_on_launch}"
"""The subnet gives no task a public IP address on launch."""
NO_IGW_ROUTE = '${!anytrue([for r in self.routes : can(regex("^igw-", r.gateway_id))])}'
"""The route table has no route to an internet gateway (a default route through a NAT gateway is fine)."""
IN_VPC_PREFIX = '${self.vpc_id == "'
IN_VPC_SUFFIX = '"}'


def in_vpc(vpc_id: str) -> str:
    """The whole condition that a subnet is in ``vpc_id``."""
    return f"{IN_VPC_PREFIX}{vpc_id}{IN_VPC_SUFFIX}"
