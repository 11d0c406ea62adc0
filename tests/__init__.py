"""livedream's tests, laid out as the package is (tests/audio/ tests livedream/audio/, ...)."""
