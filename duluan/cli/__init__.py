"""The `duluan` command line: one module per area, assembled in `main`."""

from duluan.cli.main import app, main

__all__ = ["app", "main"]
