"""moto's server, with ECS services that report their desired count as running (run with the emulator's Python).

moto starts no tasks: a new service reports ``runningCount`` 0 (or the one global
``MOTO_ECS_SERVICE_RUNNING``) forever, so an ``aws_ecs_service`` with
``wait_for_steady_state`` (our default) would wait for its full timeout. Real ECS
reports the service stable once its desired tasks run and pass their health checks;
here every service is taken to reach that at once, which is the only thing this patch
changes (listed in README's table of emulator gaps). Deterministic: no randomness added.

    tools/emulator/.venv/bin/python tools/emulator/serve.py -H 127.0.0.1 -p 5000
"""

from __future__ import annotations

import sys
from typing import Any

from moto.ecs import models
from moto.server import main


def _steady(init: Any) -> Any:
    def patched(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        self.running_count, self.pending_count = self.desired_count, 0
        for deployment in self.deployments:
            deployment.update(runningCount=self.desired_count, pendingCount=0, rolloutState="COMPLETED")

    return patched


models.Service.__init__ = _steady(models.Service.__init__)

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
