"""tuquan application shell: the command-line interface and the demo pipeline."""

__version__ = "0.1.0"
