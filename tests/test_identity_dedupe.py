"""`siyu dedupe` on small files: columns recognised, nicknames / year-only / swapped dates, scored with truth."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from siyu.cli.main import app
from siyu.errors import UserError
from siyu.identity.dedupe import dedupe_table, read_people
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


# --- careless and hostile input (issue 18 §4 "dedupe") --------------------------------------------------------

HAN_SURNAMES = "王李张刘陈杨黄赵吴周"
HAN_GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳"]
HAN_CITIES = ["上海", "北京", "杭州", "成都"]


def han_people(n: int, seed: int = 3) -> list[dict[str, str]]:
    """A Chinese CRM export: name, phone, city, address; about 40% of persons twice, half of those without phone."""
    rnd = random.Random(seed)
    rows = []
    for p in range(n):
        city = rnd.choice(HAN_CITIES)
        rec = {"id": f"r{p}", "name": rnd.choice(HAN_SURNAMES) + rnd.choice(HAN_GIVEN) + rnd.choice(HAN_GIVEN),
               "phone": "13" + "".join(rnd.choice("0123456789") for _ in range(9)), "city": city,
               "address": f"{city}市{rnd.randint(1, 300)}号路{rnd.randint(1, 99)}号", "person": str(p)}
        rows.append(rec)
        if rnd.random() < 0.4:
            rows.append(dict(rec, id=f"r{p}d", phone="" if rnd.random() < 0.5 else rec["phone"]))
    return rows


def dedupe_cli(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(app, ["dedupe", *args])
    assert "Traceback" not in res.output
    return res.exit_code, " ".join(res.output.split())


def test_name_phone_city_address_file_dedupes_on_splink_5(tmp_path: Path) -> None:
    """No deterministic rule fits these columns: once "EM sampling requires a SQL dialect"."""
    src = write(tmp_path / "crm.csv", han_people(300))
    code, out = dedupe_cli(str(src), "--id", "id", "--truth", "person")
    assert code == 0, out
    result = dedupe_table(pa.Table.from_pylist(han_people(300)), "id", truth="person")
    assert result.scores["precision"] >= 0.99 and result.scores["recall"] >= 0.9
    assert result.columns == {"name": "full_name", "phone": "phone", "city": "city", "address": "address"}


def test_an_all_empty_column_is_left_out_with_a_warning(tmp_path: Path) -> None:
    rows = [dict(r, email="") for r in han_people(200)]
    code, out = dedupe_cli(str(write(tmp_path / "crm.csv", rows)), "--id", "id", "--truth", "person")
    assert code == 0, out
    assert "warning: column 'email' is empty in every record: it links nobody" in out
    assert "recall 1.0000" in out or "recall 0.9" in out


def test_an_all_empty_surname_says_it_links_nobody(tmp_path: Path) -> None:
    """Once: exit 0, recall 0 and not a word. Now a warning, and the other columns still find the duplicates."""
    rows = [{**r, "last name": ""} for r in people(300, seed=11)]
    result = dedupe_table(pa.Table.from_pylist(rows), "id", truth="person")
    assert result.warnings == ["column 'last name' is empty in every record: it links nobody"]
    assert result.scores["recall"] >= 0.8 and result.scores["precision"] >= 0.95
    code, out = dedupe_cli(str(write(tmp_path / "people.csv", rows)), "--id", "id")
    assert code == 0 and "column 'last name' is empty in every record: it links nobody" in out


def test_a_one_row_file_is_one_cluster(tmp_path: Path) -> None:
    out_file = tmp_path / "clusters.csv"
    code, out = dedupe_cli(str(write(tmp_path / "one.csv", han_people(2)[:1])), "--id", "id", "--out", str(out_file))
    assert code == 0, out
    assert "1 clusters from 1 records" in out and "nothing to compare" in out
    with out_file.open(encoding="utf-8") as f:
        assert list(csv.DictReader(f)) == [{"id": "r0", "cluster_id": "r0"}]


def test_a_two_row_file_links_a_true_pair_only() -> None:
    """Two records are one pair: the prior may not be 1 (an infinite weight, once a SQL error)."""
    same = han_people(2)[:1] * 2
    same[1] = dict(same[1], id="r0d")
    assert dedupe_table(pa.Table.from_pylist(same), "id").clusters == 1
    other = [same[0], dict(same[0], id="x", name="李娜娜", phone="13912345678", address="北京市1号路2号")]
    assert dedupe_table(pa.Table.from_pylist(other), "id").clusters == 2


def test_a_duplicate_header_is_refused_naming_the_column(tmp_path: Path) -> None:
    src = tmp_path / "dup.csv"
    src.write_text("id,name,city,city\nr1,王伟,上海,北京\nr2,王伟,上海,北京\n", encoding="utf-8")
    code, out = dedupe_cli(str(src), "--id", "id")
    assert code == 2
    assert "the header names column 'city' more than once (columns 3, 4)" in out


def test_a_file_with_nothing_to_pair_on_says_what_would_do(tmp_path: Path) -> None:
    src = tmp_path / "names.csv"
    src.write_text("id,name,surname\n1,ann,\n2,bob,\n3,ann,\n", encoding="utf-8")
    code, out = dedupe_cli(str(src), "--id", "id")
    assert code == 2
    assert "no columns to find candidate pairs with (recognised 'name' as full_name)" in out
    assert "a phone, e-mail or national id" in out


@pytest.mark.parametrize("threshold", ["nan", "2", "0", "-0.5", "inf"])
def test_a_threshold_that_is_not_a_probability_is_one_line(tmp_path: Path, threshold: str) -> None:
    src = write(tmp_path / "people.csv", people(20))
    code, out = dedupe_cli(str(src), "--id", "id", "--threshold", threshold)
    assert code == 2
    assert "--threshold must be a match probability above 0 and at most 1" in out
    with pytest.raises(UserError) as err:
        dedupe_table(pa.Table.from_pylist(people(20)), "id", threshold=float(threshold))
    assert "\n" not in str(err.value)


HOSTILE = ['first "name"', "last`name`", "town; DROP TABLE t", "email -- comment", "birth\ndate", "邮编",
           "🙂 notes"]


def test_hostile_headers_are_names_not_sql(tmp_path: Path) -> None:
    """Quotes, backticks, `;`, `--`, newlines, Chinese and emoji in headers: each column read as itself."""
    rename = dict(zip(["first name", "last name", "town", "col_e", "birth", "zip", "person"], HOSTILE, strict=True))
    ident = 'id"; DROP TABLE t; --'
    rows = [{ident: r["id"], **{rename[k]: v for k, v in r.items() if k != "id"}} for r in people(300, seed=4)]
    src = write(tmp_path / "hostile.csv", rows)
    out_file = tmp_path / "clusters.csv"
    code, out = dedupe_cli(str(src), "--id", ident, "--truth", "🙂 notes", "--out", str(out_file))
    assert code == 0, out
    result = dedupe_table(read_people(src), ident, truth="🙂 notes")
    assert set(result.columns) == set(HOSTILE[:-1])  # every other column, by its exact name
    assert result.columns["邮编"] == "postcode" and result.columns["birth\ndate"] == "dob"
    assert result.scores["precision"] >= 0.99 and result.scores["recall"] >= 0.85
    with out_file.open(encoding="utf-8") as f:
        assert next(csv.reader(f)) == [ident, "cluster_id"]


def test_a_pair_misspelt_in_every_name_and_the_postcode_is_still_a_candidate() -> None:
    # eliza keany / eriaz keacny: no name key, soundex or postcode in common; the date of birth and the street
    # number still propose the pair
    from siyu.identity.dedupe.comparisons import choose_blocks
    from siyu.identity.dedupe.prepare import standardise

    raw = pa.table({"id": ["a", "b", "c"], "given_name": ["eliza", "eriaz", "tom"],
                    "surname": ["keany", "keacny", "hardy"], "street_number": ["6", "6", "12"],
                    "postcode": ["2760", "2706", "2000"], "date_of_birth": ["19280802", "19280802", "19500101"]})
    roles = {"given_name": "given", "surname": "surname", "street_number": "street_number",
             "postcode": "postcode", "date_of_birth": "dob"}
    data, _ = standardise(raw, "id", roles)
    rows = {r["unique_id"]: r for r in data.to_pylist()}
    proposed = [rule for rule in choose_blocks(data, 1000)
                if all(rows["a"][c] is not None and rows["a"][c] == rows["b"][c] for c in rule)]
    assert proposed
