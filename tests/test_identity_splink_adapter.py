"""siyu refuses, in one line, a Splink it was not tested with; reads Splink's level numbering right; and its
prior stays usable when the deterministic rules find nothing."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pyarrow as pa
import pytest
import splink

from siyu.errors import UserError
from siyu.identity.splink_adapter import SUPPORTED, SplinkIncompatible, check, level_labels
from siyu.identity.splink_linker import explain_pair, model_json, train


def test_installed_splink_is_supported() -> None:
    check()  # the Splink this suite runs on is the one pyproject pins
    assert splink.__version__.split(".")[0] == "5"


@pytest.mark.parametrize("version", ["4.0.7", "6.0.0", "5", "dev"])
def test_other_major_versions_are_refused_in_one_line(version: str) -> None:
    fake = SimpleNamespace(__version__=version, DuckDBAPI=object, Linker=object)
    with pytest.raises(SplinkIncompatible) as err:
        check(fake)
    message = str(err.value)
    assert "\n" not in message and version in message and SUPPORTED in message
    assert isinstance(err.value, UserError)  # the CLI prints it as one line, exit 2


def test_a_splink_without_the_public_names_siyu_uses_is_refused() -> None:
    fake = SimpleNamespace(__version__="5.9.0", Linker=object)
    with pytest.raises(SplinkIncompatible, match="no DuckDBAPI"):
        check(fake)


PEOPLE = pa.table({
    "unique_id": [str(i) for i in range(40)],
    "name": [f"n{i // 2}" for i in range(40)],
    "city": [None if i % 7 == 0 else f"c{i % 3}" for i in range(40)],
})


def _settings(**extra: object) -> dict[str, object]:
    levels = [
        {"sql_condition": "name_l IS NULL OR name_r IS NULL", "label_for_charts": "null", "is_null_level": True},
        {"sql_condition": "name_l = name_r", "label_for_charts": "exact", "m_probability": 0.9},
        {"sql_condition": "ELSE", "label_for_charts": "all other", "m_probability": 0.1},
    ]
    city = json.loads(json.dumps(levels).replace("name", "city"))
    return {"link_type": "dedupe_only", "unique_id_column_name": "unique_id",
            "comparisons": [{"output_column_name": "name", "comparison_levels": levels},
                            {"output_column_name": "city", "comparison_levels": city}],
            "blocking_rules_to_generate_predictions": ["l.name = r.name"], **extra}


def test_a_prior_the_rules_cannot_estimate_falls_back_to_the_callers_then_to_one_match() -> None:
    never = ["l.name = r.name AND l.unique_id = r.unique_id"]  # no pair of two records satisfies it
    pairs = 40 * 39 / 2
    saved = json.loads(model_json(train(PEOPLE, _settings(), 1e3, [["city"]], never)))
    assert saved["probability_two_random_records_match"] == pytest.approx(1 / pairs)
    saved = json.loads(model_json(train(PEOPLE, _settings(probability_two_random_records_match=0.02), 1e3,
                                        [["city"]], never)))
    assert saved["probability_two_random_records_match"] == pytest.approx(0.02)


def test_level_numbering_matches_what_splink_scores() -> None:
    """A pair that agrees exactly is reported at the exact level, one that differs at ELSE, a NULL at null."""
    people = PEOPLE
    saved = model_json(train(people, _settings(), 1e3, [["city"]], ["l.name = r.name"]))
    assert level_labels(json.loads(saved)["comparisons"][0]) == {-1: "null", 1: "exact", 0: "all other"}
    rows = {r["comparison"]: r["level"] for r in explain_pair(people, saved, people.slice(2, 1), people.slice(3, 1))}
    assert rows["name"] == "exact"
    rows = {r["comparison"]: r["level"] for r in explain_pair(people, saved, people.slice(1, 1), people.slice(7, 1))}
    assert rows["name"] == "all other" and rows["city"] == "null"
