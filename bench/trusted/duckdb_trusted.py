"""DuckDB doing the CSV job's conversion with the same typing and checks, for bench/trusted (not part of the lake).

Usage: python3 bench/trusted/duckdb_trusted.py OUT_DIR RAW_CSV TABLE_NAME [RAW_CSV TABLE_NAME ...]. Reads each Raw
CSV as text lines, applies the checks of glue/cinelake/trusted_csv/transforms.py in the same order, removes exact
duplicates and writes the registry's columns and types as Parquet, plus the quarantine as JSON lines. Prints its counts
as JSON. (DuckDB's CSV reader skips blank lines and refuses a file with invalid UTF-8, where the Spark job quarantines
those lines.)
"""

import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb

GLUE = Path(__file__).resolve().parents[2] / "glue"
sys.path.insert(0, str(GLUE))

from cinelake.trusted_csv.transforms import (  # noqa: E402  (the shared constants keep the two conversions identical)
    ARTIST_CATEGORIES,
    EARLIEST_BIRTH_YEAR,
    FIRST_FILM_YEAR,
    IMDB_TITLE_ID,
    MAX_LIFESPAN_YEARS,
    NUMBER_PATTERNS,
    source_header,
    trusted_columns,
)

DUCK_TYPES = {
    "string": "VARCHAR",
    "int": "INTEGER",
    "bigint": "BIGINT",
    "double": "DOUBLE",
    "array<string>": "VARCHAR[]",
}


def sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def conversion_sql(raw_csv: str, table_name: str, current_year: int) -> tuple[str, str]:
    """(classified view SQL, column list) for one Raw CSV: every line with its typed columns and first failed check."""
    columns = trusted_columns(table_name)
    header = "|".join(source_header(table_name))
    texts, typed, checks = [], [], []
    for i, c in enumerate(columns):
        name, hive = c["name"], c["type"]
        field = f"f[{i + 1}]"
        texts.append(f"CASE WHEN {field} IN ('\\N', '') THEN NULL ELSE {field} END AS t_{name}")
        if hive in NUMBER_PATTERNS:
            pattern = NUMBER_PATTERNS[hive][1:-1]  # regexp_full_match anchors by itself
            checks.append(
                (
                    f"t_{name} IS NOT NULL AND NOT regexp_full_match(t_{name}, {sql_text(pattern)})",
                    "not_a_number",
                    f"'{name}: ' || t_{name}",
                )
            )
            typed.append(f"TRY_CAST(t_{name} AS {DUCK_TYPES[hive]}) AS {name}")
        elif hive == "array<string>":
            typed.append(f"string_split(t_{name}, ',') AS {name}")
        else:
            typed.append(f"t_{name} AS {name}")
    n = len(columns)
    imdb = IMDB_TITLE_ID[1:-1]

    def between(col: str, low: int, high: int) -> str:
        return f"({col} IS NOT NULL AND ({col} < {low} OR {col} > {high}))"

    years = [
        ("release_year", FIRST_FILM_YEAR, current_year + 15),
        ("birth_year", EARLIEST_BIRTH_YEAR, current_year),
        ("death_year", EARLIEST_BIRTH_YEAR, current_year),
    ]
    has_end = any(c["name"] == "end_year" for c in columns)
    if has_end:
        years.append(("end_year", FIRST_FILM_YEAR, current_year + 15))
    ordered = [
        ("line = ''", "blank_line", "'empty line'"),
        (f"n <> {n}", "wrong_column_count", f"'expected {n} fields, found ' || n"),
        ("contains(line, '\ufffd')", "invalid_encoding", "'bytes that are not UTF-8'"),
        (
            f"t_imdb_id IS NULL OR NOT regexp_full_match(t_imdb_id, {sql_text(imdb)})",
            "invalid_imdb_id",
            "'imdb_id: ' || coalesce(t_imdb_id, 'null')",
        ),
        ("t_title IS NULL", "missing_title", "'title is null'"),
        *checks,
        *[(f"{c} < 0", "negative_value", f"'{c}: ' || t_{c}") for c in ("runtime_minutes", "num_votes")],
        (between("average_rating", 0, 10), "rating_out_of_range", "'average_rating: ' || t_average_rating"),
        *[(between(c, lo, hi), "bad_year", f"'{c}: ' || t_{c}") for c, lo, hi in years],
    ]
    if has_end:
        ordered.append(("end_year < release_year", "end_before_start", "'end_year < release_year'"))
    categories = ", ".join(sql_text(c) for c in ARTIST_CATEGORIES)
    ordered += [
        ("death_year - birth_year < 0", "death_before_birth", "'death_year < birth_year'"),
        (f"death_year - birth_year > {MAX_LIFESPAN_YEARS}", "implausible_age", "'lived too long'"),
        (
            f"artist_category IS NOT NULL AND artist_category NOT IN ({categories})",
            "bad_artist_category",
            "'artist_category: ' || artist_category",
        ),
        (
            "t_known_for_titles IS NOT NULL AND NOT list_bool_and(list_transform("
            f"string_split(t_known_for_titles, ','), x -> regexp_full_match(x, {sql_text(imdb)})))",
            "invalid_known_for_title",
            "'known_for_titles: ' || t_known_for_titles",
        ),
    ]
    reason = "CASE " + " ".join(f"WHEN coalesce({cond}, false) THEN '{name}'" for cond, name, _ in ordered) + " END"
    detail = "CASE " + " ".join(f"WHEN coalesce({cond}, false) THEN {text}" for cond, _, text in ordered) + " END"
    names = ", ".join(c["name"] for c in columns)
    sql = f"""
      WITH raw AS (
        SELECT regexp_replace(regexp_replace(column0, '^\ufeff', ''), '\\r$', '') AS line
        FROM read_csv({sql_text(raw_csv)}, columns = {{'column0': 'VARCHAR'}}, header = false, delim = '\\x01',
                      quote = '', escape = '', auto_detect = false, strict_mode = false, null_padding = false,
                      allow_quoted_nulls = false, nullstr = '\\x02')
      ),
      data AS (SELECT line, string_split(line, '|') AS f, len(string_split(line, '|')) AS n
               FROM raw WHERE line <> {sql_text(header)}),
      texts AS (SELECT line, n, {", ".join(texts)} FROM data),
      typed AS (SELECT *, {", ".join(typed)} FROM texts)
      SELECT line, {reason} AS reason, {detail} AS detail, {names} FROM typed
    """
    return sql, names


def convert(con, raw_csv: str, table_name: str, out_dir: Path) -> dict:
    """One Raw CSV -> `<out_dir>/<table>/trusted.parquet` and `quarantine.json`; returns its counts and durations."""
    out_dir.mkdir(parents=True, exist_ok=True)
    durations = {}
    sql, names = conversion_sql(raw_csv, table_name, datetime.now(UTC).year)
    clock = time.perf_counter()
    con.execute(f"CREATE OR REPLACE TEMP TABLE classified AS {sql}")
    durations["read, type and classify"] = time.perf_counter() - clock
    clock = time.perf_counter()
    trusted = out_dir / "trusted.parquet"
    con.execute(
        f"COPY (SELECT DISTINCT ON (line) {names} FROM classified WHERE reason IS NULL) TO '{trusted}' (FORMAT parquet)"
    )
    durations["deduplicate and write Parquet"] = time.perf_counter() - clock
    clock = time.perf_counter()
    con.execute(
        f"COPY (SELECT reason, detail, line FROM classified WHERE reason IS NOT NULL) "
        f"TO '{out_dir / 'quarantine.json'}' (FORMAT json)"
    )
    durations["write quarantine"] = time.perf_counter() - clock
    raw, valid = con.execute("SELECT count(*), count(*) FILTER (WHERE reason IS NULL) FROM classified").fetchone()
    by_reason = dict(
        con.execute("SELECT reason, count(*) FROM classified WHERE reason IS NOT NULL GROUP BY 1").fetchall()
    )
    written = con.execute(f"SELECT count(*) FROM '{trusted}'").fetchone()[0]
    schema = con.execute(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM '{trusted}')").fetchall()
    con.execute("DROP TABLE classified")
    return {
        "table": table_name,
        "raw": raw,
        "trusted": written,
        "quarantined": sum(by_reason.values()),
        "quarantined_by_reason": by_reason,
        "duplicates": valid - written,
        "schema": schema,
        "durations_s": {k: round(v, 3) for k, v in durations.items()},
    }


def main() -> None:
    """Converts every (Raw CSV, table) pair given in one DuckDB connection and prints the counts as JSON."""
    out_dir, pairs = Path(sys.argv[1]), sys.argv[2:]
    if not pairs or len(pairs) % 2:
        raise SystemExit("usage: duckdb_trusted.py OUT_DIR RAW_CSV TABLE_NAME [RAW_CSV TABLE_NAME ...]")
    started = time.perf_counter()
    con = duckdb.connect()
    results = [
        convert(con, raw_csv, table_name, out_dir / table_name)
        for raw_csv, table_name in zip(pairs[::2], pairs[1::2], strict=True)
    ]
    print(json.dumps({"datasets": results, "seconds": round(time.perf_counter() - started, 3)}))


if __name__ == "__main__":
    main()
