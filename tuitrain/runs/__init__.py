"""Run directories (docs/run-directory.md): what a run leaves on disk, and reading it back.

- files: the names of the files in a run directory, their one home.
- rundir.RunDirectory: created exclusively; checkpoint.py writes and loads checkpoints in it.
- log.RunLog: the consumer that writes events.jsonl, metrics.csv and status.json.
- reader: the one reader of events.jsonl (a torn last line is left for later).
- status, listing, resolve, export: status.json, `tuitrain runs`, naming runs, `tuitrain export`.
"""
