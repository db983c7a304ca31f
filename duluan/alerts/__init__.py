"""Alerts: subscriptions (models), their persistence (repository), evaluation, delivery, runner."""
