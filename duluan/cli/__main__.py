"""`python -m duluan.cli` runs the same command as the `duluan` script."""

from duluan.cli.main import main

main()
