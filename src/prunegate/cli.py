"""The name Kedro looks up for project commands (``<package>.cli``); the CLI lives in app/cli.py."""

from prunegate.app.cli import cli, main

__all__ = ["cli", "main"]
