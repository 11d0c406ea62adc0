"""Sources: where audio comes from (a file, a sound card, a simulated sound card); AudioSource in base.py."""
