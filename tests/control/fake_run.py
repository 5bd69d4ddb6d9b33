"""`python -m tests.control.fake_run RUN_DIR`: a fake run in a process of its own.

Prints `ready <socket path>` once its control socket listens, and exits when the run stops.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tests.control.harness import FakeRun


def main() -> int:
    run = FakeRun(Path(sys.argv[1]), step_s=0.005).start()
    print(f"ready {run.socket}", flush=True)
    run.trainer.join()
    run.server.close()
    run.log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
