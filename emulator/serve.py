"""moto's server with two gaps filled that our Terraform needs (run with the emulator's Python).

1. moto starts no tasks: a new service reports ``runningCount`` 0 (or the one global
   ``MOTO_ECS_SERVICE_RUNNING``) forever, so an ``aws_ecs_service`` with
   ``wait_for_steady_state`` (our default) would wait for its full timeout. Real ECS
   reports the service stable once its desired tasks run and pass their health checks;
   here every service is taken to reach that at once.
2. moto 5.2.5 does not implement Application Auto Scaling's tagging API, which the AWS
   provider calls after ``RegisterScalableTarget`` (its default tags), retrying the
   error until it times out. Here the tags given at registration or by ``TagResource``
   are kept per ARN and returned by ``ListTagsForResource``.

3. An entry's HTTPS listener names an ACM certificate that exists in the team's account,
   not in the emulator, and moto's ELBv2 refuses a listener whose certificate it does not
   know. The certificate ARNs the selected system declares (``INTERNAL_API_EMULATOR_CERTIFICATES``,
   set by ``emulator.local``) get a self-signed stand-in under that very ARN when a listener
   first uses them, so the Terraform stays what AWS gets.

Nothing else changes (all are listed in README's table of emulator gaps). Deterministic:
no randomness added, so replaying a recording still recreates the same IDs.

    emulator/.venv/bin/python emulator/serve.py -H 127.0.0.1 -p 5000
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from moto.acm import models as acm
from moto.applicationautoscaling import responses as autoscaling
from moto.ecs import models
from moto.server import main

_TAGS: dict[str, dict[str, str]] = {}


def _steady(init: Any) -> Any:
    def patched(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        self.running_count, self.pending_count = self.desired_count, 0
        for deployment in self.deployments:
            deployment.update(runningCount=self.desired_count, pendingCount=0, rolloutState="COMPLETED")

    return patched


def _register_keeps_tags(register: Any) -> Any:
    def patched(self: Any) -> str:
        body: str = register(self)
        _TAGS.setdefault(json.loads(body)["ScalableTargetARN"], {}).update(self._get_param("Tags") or {})
        return body

    return patched


def _list_tags_for_resource(self: Any) -> str:
    return json.dumps({"Tags": _TAGS.get(self._get_param("ResourceARN"), {})})


def _tag_resource(self: Any) -> str:
    _TAGS.setdefault(self._get_param("ResourceARN"), {}).update(self._get_param("Tags") or {})
    return "{}"


def _untag_resource(self: Any) -> str:
    tags = _TAGS.get(self._get_param("ResourceARN"), {})
    for key in self._get_param("TagKeys") or []:
        tags.pop(key, None)
    return "{}"


STAND_IN_CERTIFICATES = frozenset(filter(None, os.environ.get("INTERNAL_API_EMULATOR_CERTIFICATES", "").split(",")))


def _stand_in_certificates(set_in_use: Any) -> Any:
    def patched(self: Any, arn: str, load_balancer_name: str) -> None:
        if arn not in self._certificates and arn in STAND_IN_CERTIFICATES:
            bundle = acm.CertBundle.generate_cert("stand-in.emulator.invalid", self.account_id, self.region_name)
            bundle.arn = arn
            self._certificates[arn] = bundle
        set_in_use(self, arn, load_balancer_name)

    return patched


acm.AWSCertificateManagerBackend.set_certificate_in_use_by = _stand_in_certificates(
    acm.AWSCertificateManagerBackend.set_certificate_in_use_by
)
models.Service.__init__ = _steady(models.Service.__init__)
Response = autoscaling.ApplicationAutoScalingResponse
Response.register_scalable_target = _register_keeps_tags(Response.register_scalable_target)
Response.list_tags_for_resource = _list_tags_for_resource
Response.tag_resource = _tag_resource
Response.untag_resource = _untag_resource

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
