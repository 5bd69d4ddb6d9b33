"""Presets: validated training setups. Importing this package never imports torch."""
