"""Profiles: one row per person (person_profile), the person-level fact tables, built-in tags and tag history."""

from siyu.profile.step import run_profile

__all__ = ["run_profile"]
