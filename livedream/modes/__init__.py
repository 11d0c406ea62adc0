"""Modes: the one engine (engine.py), its clocks (clock.py), and the export and live set-ups around it."""
