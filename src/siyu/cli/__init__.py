"""The command line: thin; parses arguments, calls the layers, prints results."""
