"""`python -m tuitrain`: the same command line as the `tuitrain` script."""

from tuitrain.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
