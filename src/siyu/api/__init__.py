"""The HTTP API (FastAPI): a thin face over persons, segments, metrics, identity, runs and imports."""
