"""The control channel: a running run's local socket, and the clients that watch and steer it.

- server.ControlServer: lives in the run's process (see its module for the wiring).
- ctl.ctl_main: `tuitrain ctl RUN ACTION [VALUE]`.
- attach.attach_link / AttachLink: the monitor's RunLink to a run in another process.
- resolve.resolve_run / newest_live_run: naming runs.

docs/control.md describes the protocol. Nothing here imports torch or textual.
"""
