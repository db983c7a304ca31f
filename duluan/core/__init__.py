"""Shared models, settings and helpers that every duluan stage depends on."""
