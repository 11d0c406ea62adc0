"""livedream: music into moving images, live or offline."""

__version__ = "0.1.0"
