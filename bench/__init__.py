"""livedream's benchmarks: run each from the checkout root as a module, `python -m bench.bench_export --help`."""
