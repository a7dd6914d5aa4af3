"""moto's server with the gaps filled that our Terraform needs, one request at a time (run with the emulator's Python).

1. moto starts no tasks: a new service reports ``runningCount`` 0 (or the one global
   ``MOTO_ECS_SERVICE_RUNNING``) forever, so an ``aws_ecs_service`` with
   ``wait_for_steady_state`` (our default) would wait for its full timeout. Real ECS
   reports the service stable once its desired tasks run and pass their health checks;
   here every service is taken to reach that at once.
2. moto 5.2.5 does not implement Application Auto Scaling's tagging API, which the AWS
   provider calls after ``RegisterScalableTarget`` (its default tags), retrying the
   error until it times out. Here the tags given at registration or by ``TagResource``
   are kept per ARN and returned by ``ListTagsForResource``.

3. Requests are handled one at a time, each recorded as it is handled (moto records a
   request just before its handler runs). Terraform may then send requests in parallel:
   the recording is the order in which moto drew its (seeded) random IDs, so replaying
   it in that order, one at a time, recreates every ID. moto answers in milliseconds;
   what parallelism saves is the provider's own waits (polling delays), which overlap.

4. moto 5.2.5's ``CreateService`` drops ``capacityProviderStrategy`` and reports
   ``launchType EC2`` instead, so the next plan would replace every service (its strategy
   read back empty). Here a service created with a strategy keeps it and has no launch
   type, as in ECS (``UpdateService`` already keeps a new strategy).

5. moto 5.2.5's ``CreatePrivateDnsNamespace`` creates its Route 53 private zone as
   ``<name>-hz``, in no VPC, without a linked service. In AWS the zone has the namespace's
   name, is associated with its VPC, and is linked to Cloud Map (``LinkedService``:
   ``servicediscovery.amazonaws.com``, the namespace's ARN). Existing namespaces are checked
   through that zone, so here it is made so.

6. An entry's HTTPS listener names an ACM certificate that exists in the team's account,
   not in the emulator, and moto's ELBv2 refuses a listener whose certificate it does not
   know. The certificate ARNs the selected system declares (``INTERNAL_API_EMULATOR_CERTIFICATES``,
   set by ``emulator.local``) get a self-signed stand-in under that very ARN when a listener
   first uses them, so the Terraform stays what AWS gets.

7. moto's EC2 ignores the ``_custom_id_`` tag on ``CreateVpc``, ``CreateSubnet`` and
   ``CreateSecurityGroup``; ``emulator/custom_ids.py`` honours it, so that ``deploy-local``
   can stand in for an existing VPC, its subnets and a referenced group under their very IDs.

8. When an answer is lost on its way back, the AWS SDK sends the request again (same invocation
   ID, ``attempt=2``) and moto would run it twice (a create then fails as a duplicate of itself).
   A retry of a request that was answered successfully gets that answer again (``_answers_retries``).

9. moto lists its package directory on every request to find the backend for a host; the list is
   computed once here (a speed-up only: the same routing).

10. moto asks a new ``boto3.Session()`` which regions and partitions exist, three times while it is
   imported and once per account-specific backend; each new session loads botocore's endpoint data
   again (0.6 CPU s of a 1.6 s start). Here every ``Session()`` without arguments is one session,
   made before moto is imported (a speed-up only: the same answers; moto asks nothing else of it).

11. A server stops by itself once the process named in ``INTERNAL_API_EMULATOR_OWNER`` (the command
   that started it, set by ``emulator.server.Emulator``) is gone: a command killed outright (SIGKILL)
   runs no ``finally`` that would stop it (``stop_with_owner``).

Nothing else changes (1, 2, 4, 5, 6 and 7 are listed in docs/emulator.md's table of gaps). Deterministic:
no randomness added, so replaying a recording still recreates the same IDs.

    emulator/.venv/bin/python emulator/serve.py -H 127.0.0.1 -p 5000
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

import boto3

if str(Path(__file__).resolve().parent.parent) not in sys.path:  # run as a script: the project root, for emulator.*
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from emulator import moto_pin, variables

try:
    moto_pin.check()  # before any patch below: each replaces a moto 5.2.5 internal by name
except moto_pin.MotoVersionError as error:
    sys.exit(f"error: {error}")

_ORIGINAL_SESSION = boto3.Session
_ONE_SESSION = _ORIGINAL_SESSION()


def _shared_session(*args: Any, **kwargs: Any) -> Any:
    """The one session for moto's region lookups (10); a session with arguments is a new one, as before."""
    return _ONE_SESSION if not args and not kwargs else _ORIGINAL_SESSION(*args, **kwargs)


boto3.Session = _shared_session  # before moto binds ``from boto3 import Session``

from moto import backends, moto_api  # noqa: E402
from moto.acm import models as acm  # noqa: E402
from moto.applicationautoscaling import responses as autoscaling  # noqa: E402
from moto.ecs import models  # noqa: E402
from moto.ecs import responses as ecs_responses  # noqa: E402
from moto.moto_server.werkzeug_app import DomainDispatcherApplication  # noqa: E402
from moto.route53.models import route53_backends  # noqa: E402
from moto.server import main  # noqa: E402
from moto.servicediscovery import models as servicediscovery  # noqa: E402

from emulator import custom_ids  # noqa: E402
from toolchain.processes import alive  # noqa: E402

__all__ = ["main", "read_environment"]  # what emulator/forkserver.py runs in each forked server

_TAGS: dict[str, dict[str, str]] = {}


def _steady(init: Any) -> Any:
    def patched(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        self.running_count, self.pending_count = self.desired_count, 0
        for deployment in self.deployments:
            deployment.update(runningCount=self.desired_count, pendingCount=0, rolloutState="COMPLETED")

    return patched


def _create_keeps_strategy(create: Any) -> Any:
    def patched(self: Any) -> Any:
        result = create(self)
        strategy = self._get_param("capacityProviderStrategy")
        if strategy:
            service = self.ecs_backend._get_service(self._get_param("cluster", "default"), self._get_param("serviceName"))
            service.capacity_provider_strategy, service.launch_type = strategy, None
            for deployment in service.deployments:
                deployment.update(launchType=None, capacityProviderStrategy=strategy)
        return result

    return patched


def _namespace_zone_as_in_aws(create: Any) -> Any:
    def patched(self: Any, name: str, creator_request_id: str, description: str, vpc: str, tags: Any, properties: Any) -> Any:
        operation = create(self, name, creator_request_id, description, vpc, tags, properties)
        namespace = next(ns for ns in self.namespaces.values() if ns.name == name and ns.vpc == vpc)
        zone = route53_backends[self.account_id]["aws"].zones[namespace.dns_properties["HostedZoneId"].split("/")[-1]]
        zone.name = name
        zone.add_vpc(vpc, self.region_name)
        zone.linked_service = {"ServicePrincipal": "servicediscovery.amazonaws.com", "Description": namespace.arn}
        return operation

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


_ONE_AT_A_TIME = threading.Lock()


def _serialized(call: Any) -> Any:
    def patched(self: Any, environ: Any, start_response: Any) -> Any:
        with _ONE_AT_A_TIME:
            return call(self, environ, start_response)

    return patched


_ANSWERED: OrderedDict[str, tuple[str, list[tuple[str, str]], bytes]] = OrderedDict()
"""The last successful answers by the SDK's invocation ID (see ``_answers_retries``)."""
ANSWERS_KEPT = 512


def _answers_retries(call: Any) -> Any:
    """An SDK retry of a request that was answered successfully gets that answer again (run inside ``_serialized``).

    The AWS SDK sends every attempt of one call with the same ``Amz-Sdk-Invocation-Id`` and
    ``Amz-Sdk-Request: attempt=N``. When an answer is lost on the way back (the provider saw a
    transport error, moto had handled the request), the SDK sends it again; moto would run it
    again, and a create fails as a duplicate of itself (``InvalidPermission.Duplicate``). Only
    successful answers are kept, so an error the SDK retries (throttling, 5xx) is asked again.
    An answered retry never reaches moto, so it is not recorded and a replay needs nothing.
    """

    def patched(self: Any, environ: Any, start_response: Any) -> Any:
        invocation = environ.get("HTTP_AMZ_SDK_INVOCATION_ID")
        retry = environ.get("HTTP_AMZ_SDK_REQUEST", "").split(";")[0].strip() not in ("", "attempt=1")
        if invocation and retry and invocation in _ANSWERED:
            status, headers, body = _ANSWERED[invocation]
            start_response(status, headers)
            return [body]
        kept: list[tuple[str, list[tuple[str, str]]]] = []

        def keep(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            kept.append((status, list(headers)))
            return start_response(status, headers, exc_info)

        answered = call(self, environ, keep)
        try:
            body = b"".join(answered)
        finally:
            if hasattr(answered, "close"):
                answered.close()
        if invocation and kept and int(kept[-1][0].split()[0]) < 400:
            _ANSWERED[invocation] = (*kept[-1], body)
            while len(_ANSWERED) > ANSWERS_KEPT:
                _ANSWERED.popitem(last=False)
        return [body]

    return patched


STAND_IN_CERTIFICATES: frozenset[str] = frozenset()


def read_environment() -> None:
    """What this server takes from its environment: the certificates to stand in (6) and where moto records.

    Read at start-up, and again by a server forked from a process that imported this module
    under another environment (emulator/forkserver.py): moto's recorder reads its file at import."""
    global STAND_IN_CERTIFICATES
    STAND_IN_CERTIFICATES = frozenset(filter(None, os.environ.get(variables.CERTIFICATES, "").split(",")))
    moto_api.recorder.__init__()


def _stand_in_certificates(set_in_use: Any) -> Any:
    def patched(self: Any, arn: str, load_balancer_name: str) -> None:
        if arn not in self._certificates and arn in STAND_IN_CERTIFICATES:
            bundle = acm.CertBundle.generate_cert("stand-in.emulator.invalid", self.account_id, self.region_name)
            bundle.arn = arn
            self._certificates[arn] = bundle
        set_in_use(self, arn, load_balancer_name)

    return patched


OWNER = variables.OWNER
OWNER_CHECK_SECONDS = 1.0


def stop_with_owner() -> None:
    """If ``$INTERNAL_API_EMULATOR_OWNER`` names a process, SIGTERM this server once that process is gone.

    A thread polls (portable, and the owner need not be the parent: a server forked by
    emulator/forkserver.py is the fork server's child, not the asking command's)."""
    owner = os.environ.get(OWNER, "")
    if not owner.isdigit():
        return
    threading.Thread(target=_watch, args=(int(owner),), name="owner-watch", daemon=True).start()


def _watch(owner: int) -> None:
    while alive(owner):
        time.sleep(OWNER_CHECK_SECONDS)
    os.kill(os.getpid(), signal.SIGTERM)


_MOTO_MODULES = frozenset(backends.list_of_moto_modules())


def _moto_modules() -> frozenset[str]:
    """moto lists its package directory on every request to route it (a sixth of a request's time); it does not change."""
    return _MOTO_MODULES


backends.list_of_moto_modules = _moto_modules
DomainDispatcherApplication.__call__ = _serialized(_answers_retries(DomainDispatcherApplication.__call__))
acm.AWSCertificateManagerBackend.set_certificate_in_use_by = _stand_in_certificates(
    acm.AWSCertificateManagerBackend.set_certificate_in_use_by
)
models.Service.__init__ = _steady(models.Service.__init__)
ecs_responses.EC2ContainerServiceResponse.create_service = _create_keeps_strategy(ecs_responses.EC2ContainerServiceResponse.create_service)
Backend = servicediscovery.ServiceDiscoveryBackend
Backend.create_private_dns_namespace = _namespace_zone_as_in_aws(Backend.create_private_dns_namespace)
Response = autoscaling.ApplicationAutoScalingResponse
Response.register_scalable_target = _register_keeps_tags(Response.register_scalable_target)
Response.list_tags_for_resource = _list_tags_for_resource
Response.tag_resource = _tag_resource
Response.untag_resource = _untag_resource
custom_ids.install()
read_environment()

if __name__ == "__main__":
    stop_with_owner()
    sys.exit(main(sys.argv[1:]))
