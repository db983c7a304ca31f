"""Plain service functions behind the routers (no FastAPI types in here)."""
