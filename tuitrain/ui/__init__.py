"""The terminal monitor (Textual). Nothing here imports torch, so the monitor starts fast.

Entry points:
- `tuitrain.ui.local.TrainerLink(trainer)`: the link `tuitrain.launch` gives a run it trains.
- `tuitrain.ui.app.MonitorApp(link, settings, title)`: the monitor on any RunLink.
- `tuitrain.ui.views.view_run(run_dir)` and `compare_runs(run_dirs)`: `view` and `compare`.

history.RunHistory turns events into what the panels draw, with the wording and numbers of
tuitrain/words.py (shared with the headless log and ctl); glyphs.py draws bars and sparklines.
"""
