"""The canonical tables: their columns and types, and the migrations that create them."""

from siyu.schema.migrate import SCHEMA_VERSION, migrate
from siyu.schema.tables import META_COLUMNS, RAW_TABLES, SYSTEM_TABLES, TABLES, raw_schema

__all__ = ["META_COLUMNS", "RAW_TABLES", "SCHEMA_VERSION", "SYSTEM_TABLES", "TABLES", "migrate", "raw_schema"]
