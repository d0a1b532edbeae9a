"""`siyu dedupe` on small files: columns recognised, nicknames / year-only / swapped dates, scored with truth."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pyarrow as pa
from typer.testing import CliRunner

from siyu.cli.main import app
from siyu.identity.dedupe import dedupe_table
from siyu.identity.dedupe.columns import recognise
from siyu.identity.dedupe.names import canonical_given, soundex

GIVEN = ["thomas", "william", "robert", "james", "mary", "linda", "susan", "karen", "daniel", "emma", "olivia",
         "noah", "liam", "lucas", "chloe", "grace", "henry", "jack", "ella", "zoe", "ethan", "mia", "leo", "ruby"]
SHORT = {"thomas": "tom", "william": "bill", "robert": "bob", "james": "jim", "daniel": "dan"}
SURNAMES = ["smith", "jones", "taylor", "brown", "wilson", "johnson", "white", "martin", "anderson", "thompson",
            "nguyen", "walker", "harris", "lee", "ryan", "robinson", "kelly", "king", "davis", "wright"]
CITIES = ["sydney", "melbourne", "brisbane", "perth", "adelaide", "hobart", "darwin", "canberra"]


def people(n: int, seed: int = 5) -> list[dict[str, str]]:
    """n persons, about half with one altered duplicate (nickname, year-only or swapped date, typo)."""
    rnd = random.Random(seed)
    rows = []
    for p in range(n):
        given, surname = rnd.choice(GIVEN), rnd.choice(SURNAMES)
        y, m, d = rnd.randint(1940, 2000), rnd.randint(1, 12), rnd.randint(13, 28)
        rec = {"id": f"r{p}", "first name": given, "last name": surname, "birth": f"{y}-{m:02d}-{d:02d}",
               "col_e": f"{given}.{surname}{rnd.randint(1, 99)}@example.com", "town": rnd.choice(CITIES),
               "zip": str(rnd.randint(2000, 7999)), "person": str(p)}
        rows.append(rec)
        if rnd.random() < 0.5:
            dup = dict(rec, id=f"r{p}d")
            change = rnd.choice(["nickname", "year", "swap", "typo", "noemail"])
            if change == "nickname" and given in SHORT:
                dup["first name"] = SHORT[given].title()
            elif change == "year":
                dup["birth"] = str(y)
            elif change == "swap":
                dup["birth"] = f"{y}-{d:02d}-{m:02d}" if d <= 12 else f"{d:02d}/{m:02d}/{y}"
            elif change == "typo":
                dup["last name"] = surname[:-1] + ("x" if surname[-1] != "x" else "y")
            else:
                dup["col_e"] = ""
            rows.append(dup)
    return rows


def write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path


def test_columns_recognised_by_name_and_by_values() -> None:
    rows = people(50)
    table = pa.Table.from_pylist(rows)
    roles = recognise(table, {"id", "person"})
    assert roles["first name"] == "given_name" and roles["last name"] == "surname"
    assert roles["birth"] == "dob" and roles["town"] == "city" and roles["zip"] == "postcode"
    assert roles["col_e"] == "email"  # by its values: the name says nothing


def test_nicknames_and_soundex() -> None:
    assert canonical_given("bill") == canonical_given("william") == "william"
    assert canonical_given("tom") == "thomas"
    assert soundex("Robert") == soundex("Rupert") == "R163"


def test_dedupe_finds_altered_duplicates_precisely() -> None:
    table = pa.Table.from_pylist(people(400))
    result = dedupe_table(table, "id", truth="person")
    assert result.scores["precision"] >= 0.99
    assert result.scores["recall"] >= 0.9
    assert len(result.blocks) >= 3  # several rules: one missing or misspelt key does not hide a pair


def test_cli_dedupe_prints_scores_and_writes_clusters(tmp_path: Path) -> None:
    src = write(tmp_path / "people.csv", people(300, seed=9))
    out = tmp_path / "clusters.csv"
    res = CliRunner().invoke(app, ["dedupe", str(src), "--id", "id", "--truth", "person", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "precision" in res.output and "F1" in res.output
    with out.open(encoding="utf-8") as f:
        clusters = {r["id"]: r["cluster_id"] for r in csv.DictReader(f)}
    assert len(clusters) == sum(1 for _ in (tmp_path / "people.csv").open(encoding="utf-8")) - 1


def test_cli_dedupe_bad_input_is_a_message(tmp_path: Path) -> None:
    src = write(tmp_path / "people.csv", people(20))
    res = CliRunner().invoke(app, ["dedupe", str(src), "--id", "nope"])
    assert res.exit_code == 2
    assert "--id column 'nope' not found" in " ".join(res.output.split())
    res = CliRunner().invoke(app, ["dedupe", str(tmp_path / "missing.csv"), "--id", "id"])
    assert res.exit_code == 2 and "no such file" in " ".join(res.output.split())
