"""The `livedream` command line: main.py parses and dispatches; one module per subcommand."""
