"""`siyu dedupe` column roles: a confidence for each, misleading headers overruled by values and reported in one
line, two columns wanting one role never a silent guess, and `--column NAME=ROLE` to settle any of it."""

from __future__ import annotations

import random
from pathlib import Path

import pyarrow as pa
from test_identity_dedupe import write  # the same CSV writer
from typer.testing import CliRunner

from siyu.cli.main import app
from siyu.identity.dedupe import dedupe_table
from siyu.identity.dedupe.columns import LOW, ROLES, recognise_columns

FIRST = ["olivia", "noah", "grace", "henry", "ruby", "jack", "emma", "liam", "chloe", "ethan", "mia", "leo"]
LAST = ["smith", "nguyen", "walker", "harris", "kelly", "wright", "davis", "brown", "taylor", "ryan"]


def people(n: int, seed: int = 11) -> list[dict[str, str]]:
    """A CRM export whose `surname` header holds first name and surname; about half the persons twice."""
    rnd = random.Random(seed)
    rows = []
    for p in range(n):
        first, last = rnd.choice(FIRST), rnd.choice(LAST)
        rec = {"id": f"r{p}", "surname": f"{first} {last}", "family": last,
               "phone": f"04{rnd.randint(10_000_000, 99_999_999)}",
               "born": f"{rnd.randint(1950, 2000)}-{rnd.randint(1, 12):02d}-{rnd.randint(13, 28):02d}",
               "mobile": f"04{rnd.randint(10_000_000, 99_999_999)}", "person": str(p)}
        rows.append(rec)
        if rnd.random() < 0.5:
            rows.append(dict(rec, id=f"r{p}d", mobile=f"04{rnd.randint(10_000_000, 99_999_999)}"))
    return rows


def test_a_surname_header_over_first_and_surname_values_is_read_as_a_full_name_and_reported() -> None:
    table = pa.Table.from_pylist(people(200))
    seen = recognise_columns(table, {"id", "person"})
    assert seen["surname"].role == "full_name" and seen["surname"].confidence < LOW
    assert "two names" in seen["surname"].why
    # names and values agree: sure
    assert seen["phone"].role == "phone" and seen["phone"].confidence >= 0.9
    assert seen["born"].role == "dob" and seen["born"].confidence >= LOW
    result = dedupe_table(table, "id", truth="person")
    assert any(w.startswith("column 'surname' read as full_name") and "--column 'surname=ROLE'" in w
               for w in result.warnings), result.warnings
    assert result.scores["precision"] >= 0.95


def test_two_columns_wanting_one_role_are_reported_not_silently_guessed() -> None:
    seen = recognise_columns(pa.Table.from_pylist(people(100)), {"id", "person"})
    assert seen["phone"].role == "phone"
    assert seen["mobile"].role == "text" and seen["mobile"].confidence < LOW and "'phone' holds" in seen["mobile"].why


def test_the_user_settles_a_role_with_column_name_equals_role(tmp_path: Path) -> None:
    src = write(tmp_path / "crm.csv", people(150))
    res = CliRunner().invoke(app, ["dedupe", str(src), "--id", "id", "--truth", "person",
                                   "--column", "family=surname", "--column", "mobile=ignore"])
    assert res.exit_code == 0, res.output
    table = pa.Table.from_pylist(people(150))
    result = dedupe_table(table, "id", truth="person", columns=["family=surname", "mobile=ignore"])
    assert result.columns["family"] == "surname" and result.recognised["family"].confidence == 1.0
    assert result.columns["mobile"] == "ignore" and not any("'mobile'" in w for w in result.warnings)
    assert "given with --column" in " ".join(res.output.split())


def test_a_bad_column_setting_is_one_line(tmp_path: Path) -> None:
    src = write(tmp_path / "crm.csv", people(20))
    for arg, expected in (("family=nonsense", "no role 'nonsense'"), ("nope=surname", "has no column 'nope'"),
                          ("family", "write NAME=ROLE")):
        res = CliRunner().invoke(app, ["dedupe", str(src), "--id", "id", "--column", arg])
        assert res.exit_code != 0 and expected in " ".join(res.output.split()) and "Traceback" not in res.output


def test_every_role_is_listed_in_the_help() -> None:
    res = CliRunner().invoke(app, ["dedupe", "--help"], env={"COLUMNS": "400"})
    assert all(role in res.output for role in ROLES)
