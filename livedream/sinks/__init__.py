"""Where frames go: MP4 files (and, live, the window)."""
