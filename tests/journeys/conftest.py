"""The store fixtures of the service tests (SQLite and PostgreSQL) for the journeys tests."""

from service.conftest import pg_url, store

__all__ = ["pg_url", "store"]
