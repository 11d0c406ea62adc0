"""Small helpers with no musical meaning: atomic output, progress, shipped resources."""
