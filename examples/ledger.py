"""A system with resources of its own: ``api`` takes orders, puts each on a queue and stores a receipt; ``worker``
takes them off the queue, reads the receipts and records each order in a table.

- ``orders`` (SQS): ``api`` may send, ``worker`` may receive; nobody else may do either.
- ``receipts`` (S3): ``api`` may write, ``worker`` may read.
- ``ledger`` (DynamoDB): only ``worker`` may write.
- ``orders-db`` (a database behind a security group of its own): only ``worker`` may connect, on 5432. The project
  writes the group and the one rule admitting ``worker``; the team puts its database in it
  (``ServicesStack.guarded["orders-db"].group_id``, docs/own-resources.md).
- ``payment-key`` (Secrets Manager): only ``api`` may read it; its value is put by hand, never in Terraform.

Every grant becomes one statement on that service's task role, on that resource's ARN only (topology/extras.py);
``make verify`` proves there is no other. The resources live in the services stack at ``own_<name>``
(docs/own-resources.md).
"""

from __future__ import annotations

from topology import Bucket, Guarded, HealthCheck, Port, Queue, Service, Settings, Skip, StoredSecret, Table, Topology

ORDERS = Queue(name="orders")
RECEIPTS = Bucket(name="receipts")
LEDGER = Table(name="ledger")
ORDERS_DB = Guarded(name="orders-db", port=5432)
PAYMENT_KEY = StoredSecret(name="payment-key")

NGINX = "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/ledger/nginx:1.27.3"
"""Both services' image, from an ECR repository with tag immutability on: the tag cannot move (docs/frontdoor.md, Limits)."""

NGINX_ON_8080 = (
    "/bin/sh",
    "-c",
    "sed -i 's/listen  *80;/listen 8080;/' /etc/nginx/conf.d/default.conf && exec nginx -g 'daemon off;'",
)

TOPOLOGY = Topology(
    resources=(ORDERS, RECEIPTS, LEDGER, ORDERS_DB, PAYMENT_KEY),
    services=(
        Service(
            name="api",
            image=NGINX,
            ports=(Port(name="api", container_port=8080),),
            command=NGINX_ON_8080,
            health_check=HealthCheck(command=("CMD-SHELL", "curl -fsS http://localhost:8080/ || exit 1")),
            grants=(ORDERS.send, RECEIPTS.write, PAYMENT_KEY.read),
            tags=(("team", "orders"),),
        ),
        Service(
            name="worker",
            image=NGINX,
            calls=("api",),
            grants=(ORDERS.receive, RECEIPTS.read, LEDGER.write, ORDERS_DB.connect),
        ),
    ),
)

SETTINGS = Settings(
    project="ledger",
    tags=(("cost-centre", "cc-1234"),),
    checkov_skips=(
        Skip(check="CKV_AWS_145", reason="receipts are encrypted with S3-managed keys: no key of our own to rotate or grant"),
        Skip(check="CKV_AWS_18", reason="receipts are written by api alone (its grant); CloudTrail data events would log reads if needed"),
        Skip(check="CKV_AWS_144", reason="receipts can be re-issued from the ledger table: no second region"),
        Skip(check="CKV2_AWS_62", reason="nothing reacts to a new receipt: worker reads them when it takes the order off the queue"),
        Skip(check="CKV_AWS_119", reason="the ledger table uses the AWS-owned key: no key of our own to rotate or grant"),
        Skip(check="CKV2_AWS_5", reason="orders-db's group is attached by the team's own database stack, outside this configuration"),
        Skip(check="CKV_AWS_149", reason="payment-key uses the AWS-managed key: no key policy of our own to prove or grant"),
        Skip(check="CKV2_AWS_57", reason="payment-key is issued by the payment provider and rotated there: put by hand when it changes"),
    ),
)

if __name__ == "__main__":
    from main import run

    run(TOPOLOGY, SETTINGS)
