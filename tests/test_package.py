import subprocess
import sys


def test_openmp_waits_passively_unless_the_user_chose() -> None:
    code = "import os, tuitrain, torch; print(os.environ['OMP_WAIT_POLICY'])"
    env_free = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert env_free.stdout.strip() == "PASSIVE"
    chosen = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"OMP_WAIT_POLICY": "ACTIVE", "PATH": "/usr/bin:/bin"},
    )
    assert chosen.stdout.strip() == "ACTIVE"
