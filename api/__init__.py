"""FastAPI query service, dashboard and alerts API over the Store."""
