"""Persistence: SQLAlchemy 2 async tables, migrations and repositories (SQLite or PostgreSQL)."""
