"""Where SQL runs. Steps talk to an `Engine`; only this package imports duckdb or pyspark."""

from siyu.engine.base import Engine, EngineError
from siyu.engine.factory import open_engine

__all__ = ["Engine", "EngineError", "open_engine"]
