"""The control channel: a running run's local socket, and the clients that watch and steer it.

- server.ControlServer: lives in the run's process (see its module for the wiring).
- ctl.ctl_main: `tuitrain ctl RUN ACTION [VALUE]`.
- attach.attach_link / AttachLink: the monitor's RunLink to a run in another process.
- client.connect_run / ControlClient: one connection, as ctl and attach open it.
- paths: where a run's socket lives, and clearing a stale one.

Naming runs (resolve_run, newest_live_run) is tuitrain/runs/resolve.py's; the answers' wording
tuitrain/words.py's. docs/control.md describes the protocol. Nothing here imports torch or
textual.
"""
