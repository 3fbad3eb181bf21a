"""The Docker image: built as documented, runs the documented command, healthy.

Building and running the image needs a Docker daemon; where there is none
(this suite's usual CI machine) that test skips, loudly (a warning in the
summary too). The Dockerfile's shape and its entry command are checked always.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
import uuid
import warnings
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = (ROOT / "Dockerfile").read_text()
README = (ROOT / "README.md").read_text()
NO_DOCKER = ("no Docker daemon here: the image build-and-run test is SKIPPED "
             "(the Dockerfile's shape and entry command are still checked)")


def _instruction(name: str) -> list[str]:
    """The JSON (exec) form of the last ``name`` instruction of the Dockerfile."""
    found = re.findall(rf"^{name}\s+(\[.*\])\s*$", DOCKERFILE, re.MULTILINE)
    assert found, f"the Dockerfile has no {name} in exec form"
    return list(json.loads(found[-1]))


def _readme_serve_command() -> list[str]:
    """The program and arguments the README's quick start runs the server with."""
    (line,) = [line for line in README.splitlines() if "pip install -e ." in line
               and "serve" in line]
    last = line.split("&&")[-1].split()
    return [Path(last[0]).name, *last[1:]]


def test_the_image_runs_the_documented_command() -> None:
    assert _readme_serve_command() == ["specdouble", "serve"]
    assert _instruction("ENTRYPOINT") == _readme_serve_command()
    assert not re.search(r"^CMD\s", DOCKERFILE, re.MULTILINE)  # no arguments added


def test_the_dockerfile_builds_a_wheel_and_runs_it_as_a_user() -> None:
    stages = re.findall(r"^FROM\s+(\S+)", DOCKERFILE, re.MULTILINE)
    assert len(stages) == 2 and all(s.startswith("python:") and s.endswith("-slim")
                                    for s in stages)
    assert "pip wheel" in DOCKERFILE and "COPY --from=build" in DOCKERFILE
    user = re.findall(r"^USER\s+(\S+)", DOCKERFILE, re.MULTILINE)
    assert user and user[-1] not in ("root", "0")
    assert "SPECDOUBLE_HOST=0.0.0.0" in DOCKERFILE
    healthcheck = DOCKERFILE[DOCKERFILE.index("HEALTHCHECK"):]
    assert "/__admin/health" in healthcheck and "SPECDOUBLE_ADMIN_TOKEN" in healthcheck


def test_compose_builds_the_image_instead_of_installing_at_start() -> None:
    compose = (ROOT / "deploy" / "docker-compose.yml").read_text()
    assert "dockerfile: Dockerfile" in compose and "pip install" not in compose


def test_readme_documents_build_and_run() -> None:
    assert "docker build -t specdouble ." in README
    assert "docker run" in README and "SPECDOUBLE_ADMIN_TOKEN" in README


def _docker_available() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True, timeout=30).returncode == 0


def _docker(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)


@pytest.mark.live
def test_image_builds_refuses_without_token_and_turns_healthy() -> None:
    if not _docker_available():
        warnings.warn(NO_DOCKER, stacklevel=1)
        pytest.skip(NO_DOCKER)
    tag = f"specdouble-test:{uuid.uuid4().hex[:8]}"
    built = _docker("build", "-t", tag, str(ROOT))
    assert built.returncode == 0, built.stderr[-3000:]
    name = f"specdouble-test-{uuid.uuid4().hex[:8]}"
    try:
        refused = _docker("run", "--rm", tag, timeout=120)
        assert refused.returncode == 2 and "--admin-token" in refused.stderr
        started = _docker("run", "-d", "--name", name, "-e", "SPECDOUBLE_ADMIN_TOKEN=t0k",
                          "-p", "127.0.0.1::8080", tag, timeout=120)
        assert started.returncode == 0, started.stderr
        port = _docker("port", name, "8080/tcp").stdout.strip().rsplit(":", 1)[-1]
        deadline = time.monotonic() + 120
        while (status := _docker("inspect", "-f", "{{.State.Health.Status}}", name)
               .stdout.strip()) != "healthy":
            assert status in ("starting", "") and time.monotonic() < deadline, status
            time.sleep(1)
        health = httpx.get(f"http://127.0.0.1:{port}/__admin/health",
                           headers={"Authorization": "Bearer t0k"}, timeout=10)
        assert health.status_code == 200
        assert _docker("exec", name, "id", "-u").stdout.strip() != "0"
    finally:
        _docker("rm", "-f", name, timeout=60)
        _docker("rmi", "-f", tag, timeout=60)
