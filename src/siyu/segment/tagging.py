"""The `tags` step: built-in tags, manual tags and user rules (tags.toml) → person_tag and its history.

User rules are predicates in the segment language, so this step lives in the segment layer (the profile layer
below it cannot compile them). Rules see the built-in and manual tags through has_tag(), not each other.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from siyu.config import ConfigError, Settings
from siyu.config.sections import nearest
from siyu.engine import Engine
from siyu.engine.quote import literal, literal_list
from siyu.profile.history import update_history
from siyu.profile.settings import tag_settings
from siyu.profile.tags import BUILTIN_TAGS, builtin_tags_sql, thresholds
from siyu.segment.errors import SegmentError
from siyu.segment.helpers import Sources
from siyu.segment.language import compile_predicate
from siyu.segment.tables import ensure_tables
from siyu.segment.vocabulary import vocabulary

RULE_KEYS = ("name", "description", "predicate")


@dataclass(frozen=True)
class Rule:
    name: str
    description: str
    predicate: str


def load_rules(path: Path) -> list[Rule]:
    """[[tag]] entries of tags.toml (name, description, predicate); none when the file does not exist."""
    if not path.exists():
        return []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    extra = set(data) - {"tag"}
    if extra:
        first = sorted(extra)[0]
        raise ConfigError(f"{path}: unknown table [{first}]{nearest(first, ['tag'])} (rules are [[tag]] tables)")
    entries = data.get("tag", [])
    if not isinstance(entries, list):
        raise ConfigError(f"{path}: write each rule as a [[tag]] table")
    rules: list[Rule] = []
    for i, entry in enumerate(entries, start=1):
        where = f"{path}: [[tag]] #{i}"
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: not a table")
        unknown = sorted(set(entry) - set(RULE_KEYS))
        if unknown:
            raise ConfigError(f"{where}: unknown key '{unknown[0]}'{nearest(unknown[0], RULE_KEYS)}")
        name, predicate = entry.get("name"), entry.get("predicate")
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(f"{where}: 'name' is missing")
        if not isinstance(predicate, str) or not predicate.strip():
            raise ConfigError(f"{where} ({name}): 'predicate' is missing")
        if name in BUILTIN_TAGS or any(r.name == name for r in rules):
            raise ConfigError(f"{where}: tag '{name}' is already defined (built-in or earlier rule)")
        rules.append(Rule(name, str(entry.get("description", "")), predicate))
    return rules


def _rule_sql(engine: Engine, rules: list[Rule], path: Path) -> str:
    """One SELECT of (person_id, person_key, tag, family, source) for all rules, each checked first."""
    src = Sources()
    vocab = vocabulary(engine, src)
    parts = []
    for rule in rules:
        try:
            where = compile_predicate(rule.predicate, vocab, src)
        except SegmentError as exc:
            raise ConfigError(f"{path}: tag '{rule.name}': {exc}") from exc
        parts.append(f"SELECT p.person_id, p.person_key, {literal(rule.name)} AS tag, 'rule' AS family, "
                     f"'rule' AS source FROM {src.profile} AS p WHERE {where}")
    return " UNION ALL ".join(parts)


def run_tags(engine: Engine, settings: Settings) -> tuple[int, int, str]:
    """Rebuild person_tag and update person_tag_history; returns (persons, tags held, message)."""
    if not engine.table_exists("person_profile"):
        return 0, 0, "no person_profile yet: run the profile step first"
    ensure_tables(engine)
    cfg = tag_settings(settings)
    rules_path = settings.path(cfg.rules_file)
    rules = load_rules(rules_path)
    # built-in tags are unique per person by construction; manual tags may not reuse a built-in name
    reserved = literal_list(BUILTIN_TAGS)
    manual = ("SELECT DISTINCT m.person_id, p.person_key, m.tag, 'manual' AS family, 'manual' AS source "
              "FROM manual_tag AS m JOIN person_profile AS p ON p.person_id = m.person_id "
              f"WHERE m.tag NOT IN {reserved} "
              "AND NOT (m.tag LIKE 'material:%' OR m.tag LIKE 'style:%' OR m.tag LIKE 'category:%')")
    builtin = builtin_tags_sql(cfg, thresholds(engine, cfg))
    rule_sql = _rule_sql(engine, rules, rules_path) if rules else None  # a bad rule stops before any write
    # sorted by tag: has_tag() then reads only the row groups holding that tag (zone maps); sorting by tag
    # alone costs half of sorting by (tag, person_id) and gives the same pruning
    held = engine.create_table_as("person_tag", f"SELECT * FROM ({builtin} UNION ALL {manual}) AS t ORDER BY tag")
    if rule_sql:
        # appended in one statement that reads the table as it was: rules see built-in and manual tags only
        held += engine.insert_select("person_tag", rule_sql)
    as_of = vocabulary(engine).as_of
    started, ended = update_history(engine, "person_tag", as_of)
    persons = engine.row_count("person_profile")
    return persons, held, f"as of {as_of}; {len(rules)} rule(s); {started:,} tags started, {ended:,} ended"


def tag_counts(engine: Engine) -> list[dict[str, object]]:
    """Every tag held now, with how many persons hold it (by family, most held first)."""
    if not engine.table_exists("person_tag"):
        raise SegmentError("no tags yet: run `siyu run` first")
    return engine.query(
        "SELECT family, tag, count(*) AS n FROM person_tag GROUP BY family, tag ORDER BY family, n DESC, tag"
    ).to_pylist()
