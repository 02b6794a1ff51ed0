import os
import shutil
import subprocess

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def need(cond, msg):
    """Skip with msg, or fail under CI where nothing may be skipped."""
    if not cond:
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)


@pytest.fixture(scope="session")
def portolan_cli(tmp_path_factory):
    """A built portolan CLI (go build), for tests that cross the language boundary."""
    go = shutil.which("go")
    need(go is not None, "go is not on PATH: the Go CLI is needed for this test")
    out = str(tmp_path_factory.mktemp("bin") / "portolan")
    subprocess.run([go, "build", "-o", out, "./cmd/portolan"], cwd=ROOT, check=True)
    return out


@pytest.fixture(scope="session")
def sample_shards(portolan_cli, tmp_path_factory):
    """Shards prepared by Go from the committed sample feed."""
    d = str(tmp_path_factory.mktemp("shards"))
    nmea = str(tmp_path_factory.mktemp("ais") / "fleet.nmea")
    subprocess.run([portolan_cli, "simulate", "--seed", "4", "--vessels", "16", "--days", "6", "--out", nmea],
                   check=True, capture_output=True)
    subprocess.run([portolan_cli, "prepare", "way", "--ais", nmea, "--out", d, "--max-len", "48"], check=True,
                   capture_output=True)
    return d
