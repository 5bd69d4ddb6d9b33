"""The terminal monitor (Textual). Nothing here imports torch, so the monitor starts fast.

Entry points:
- `tuitrain.ui.local.TrainerLink(trainer)`: the link `tuitrain.launch` gives a run it trains.
- `tuitrain.ui.app.MonitorApp(link, control, title)`: the monitor on any RunLink.
- `tuitrain.ui.views.view_run(run_dir)` and `compare_runs(run_dirs)`: `view` and `compare`.
"""
