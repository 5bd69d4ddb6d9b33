"""`python -m tuitrain`: the same command line as the `tuitrain` script."""

from tuitrain.cli import main

raise SystemExit(main())
