"""Trends: which terms are rising or falling now against a decayed baseline."""
