"""``make plan TARGET=aws`` / ``make ci-plan`` without a usable AWS: one line on stderr, no traceback, a verdict of 1."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from toolchain import reviewed
from topology.errors import USER_ERROR

ROOT = Path(__file__).resolve().parents[2]


def test_a_plan_against_aws_without_a_route_is_one_line(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as held:  # bound, not listening: refused at once
        held.bind(("127.0.0.1", 0))
        endpoint = f"http://127.0.0.1:{held.getsockname()[1]}"
        env = {
            **os.environ,
            "CDKTF_OUTDIR": str(tmp_path / "cdktf.out"),
            "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
            "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "AWS_ENDPOINT_URL_STS": endpoint,
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        }
        plandir = tmp_path / "plan"
        command = ["-m", "emulator.local", "plan", "--target", "aws", "--verdict", "--plandir", str(plandir), "--system", "examples.chain"]
        done = subprocess.run([sys.executable, *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines()[-1].startswith("error: the AWS endpoint is unreachable (Could not connect")
    assert done.returncode == USER_ERROR  # 1, as terraform's error: make stops; the CI reads the verdict
    assert (plandir / reviewed.VERDICT).read_text(encoding="utf-8") == "1\n"
