"""Alembic migrations, shipped as package data and run by `monitor.storage.migrate`."""
