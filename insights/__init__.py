"""Trends and alerts over the Store: what is rising or falling now, and who to tell.

Imports `core` and `storage.base` only, so the API, the CLI and `duluan alerts` can share it.
"""
