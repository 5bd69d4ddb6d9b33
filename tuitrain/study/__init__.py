"""Studies: several presets (and variations of them) trained side by side over seeds, with a
results table and verdicts on the claims the study states."""
