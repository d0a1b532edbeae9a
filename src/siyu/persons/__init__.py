"""Persons as people look them up: search and the 360 view over the warehouse, read-only, masked by default,
with a guide's scope applied inside the query."""

from siyu.persons.scope import Scope
from siyu.persons.search import Query, search
from siyu.persons.view import person_360

__all__ = ["Query", "Scope", "person_360", "search"]
