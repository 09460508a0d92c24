"""DuckDB doing the TMDB job's conversion with the same schema, checks and dedupe, for bench/trusted (not in the lake).

Usage: python3 bench/trusted/duckdb_trusted_tmdb.py OUT_DIR DAY KIND RAW_DIR [KIND RAW_DIR ...]. Reads every Raw
`*.json` of a day as whole documents (read_text), takes the records of the same document shapes as
glue/cinelake/trusted_tmdb/transforms.py (an array, an object with `results`, a detail object with `id`), parses them
with the job's own schema (raw_schema, translated to DuckDB's JSON structure), applies its record checks in the same
order, keeps the latest record per id (modification time, then path, then position) and writes the registry's
Trusted columns as Parquet, plus the quarantine as JSON lines. Prints its counts as JSON.

One check differs: Spark's `wrong_type` (a field that does not have TMDB's type) has no DuckDB counterpart, since
DuckDB's JSON transform makes such a field null instead of flagging the record.
"""

import json
import re
import sys
import time
from pathlib import Path

import duckdb

GLUE = Path(__file__).resolve().parents[2] / "glue"
sys.path.insert(0, str(GLUE))

from cinelake.registry import table  # noqa: E402  (the shared schema keeps the two conversions identical)
from cinelake.trusted_tmdb.transforms import (  # noqa: E402
    CORRUPT,
    IMDB_TITLE_ID,
    ISO_DAY,
    MAX_INT,
    TABLES,
    raw_schema,
)

PRIMITIVES = {"string": "VARCHAR", "bigint": "BIGINT", "int": "INTEGER", "double": "DOUBLE", "boolean": "BOOLEAN"}
DUCK_TYPES = PRIMITIVES | {"date": "DATE"}


def _split_top(text: str) -> list[str]:
    """Splits `a, b<c, d>, e` on the commas outside angle brackets."""
    parts, depth, current = [], 0, ""
    for char in text:
        depth += {"<": 1, ">": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    return parts + ([current.strip()] if current.strip() else [])


def _field(text: str) -> tuple[str, str]:
    """`name type` or `name:type` (backticks optional) -> (name, type)."""
    match = re.match(r"`?([A-Za-z0-9_]+)`?\s*[: ]\s*(.+)$", text.strip(), re.S)
    if not match:
        raise ValueError(f"not a field: {text!r}")
    return match.group(1), match.group(2).strip()


def structure(hive: str):
    """A Hive type -> DuckDB's JSON structure (what json_transform takes)."""
    if hive.startswith("array<"):
        return [structure(hive[6:-1])]
    if hive.startswith("struct<"):
        return {name: structure(kind) for name, kind in map(_field, _split_top(hive[7:-1]))}
    return PRIMITIVES[hive]


def duck_type(hive: str) -> str:
    """A Hive type -> DuckDB's SQL type (for the Trusted columns' casts)."""
    if hive.startswith("array<"):
        return f"{duck_type(hive[6:-1])}[]"
    if hive.startswith("struct<"):
        fields = [_field(f) for f in _split_top(hive[7:-1])]
        return "STRUCT(" + ", ".join(f'"{name}" {duck_type(kind)}' for name, kind in fields) + ")"
    return DUCK_TYPES[hive]


def sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def blank_to_null(expr: str) -> str:
    return f"CASE WHEN trim({expr}) = '' THEN NULL ELSE {expr} END"


def day(expr: str) -> str:
    return f"TRY_CAST(left({blank_to_null(expr)}, 10) AS DATE)"


def bad_day(expr: str) -> str:
    text = blank_to_null(expr)
    iso = sql_text(ISO_DAY[1:-1])
    return f"({text} IS NOT NULL AND (NOT regexp_full_match(left({text}, 10), {iso}) OR {day(expr)} IS NULL))"


def conversion_sql(files: list[str], kind: str) -> tuple[str, str]:
    """(shaped documents, classified records) SQL for one kind's files: each document's records (or its reason when
    refused); each record with its position, reason, detail and parsed fields `r`."""
    fields = {name: kind_ for name, kind_ in map(_field, _split_top(raw_schema(kind))) if name != CORRUPT}
    shape = json.dumps({name: structure(hive) for name, hive in fields.items()})
    title = "title" if kind == "movies" else "name"
    imdb = "r.imdb_id" if kind == "movies" else "r.external_ids.imdb_id"
    dates = ["release_date"] if kind == "movies" else ["first_air_date", "last_air_date"]
    counts = ["vote_count", "runtime", "budget", "revenue"] if kind == "movies" else ["vote_count", "number_of_seasons"]
    if kind == "series":
        counts.append("number_of_episodes")
    checks = [
        ("NOT starts_with(trim(record::VARCHAR), '{')", "not_an_object", "'record is not a JSON object'"),
        (
            "r.success = false OR r.status_code IS NOT NULL",
            "tmdb_error",
            "format('TMDB error {}: {}', r.status_code, r.status_message)",
        ),
        ("r.id IS NULL", "missing_id", "'no `id`'"),
        (f"r.id <= 0 OR r.id > {MAX_INT}", "invalid_id", "format('id {}', r.id)"),
        (f"{blank_to_null(f'r.{title}')} IS NULL", "missing_title", f"'no `{title}`'"),
        (
            f"{blank_to_null(imdb)} IS NOT NULL AND NOT regexp_full_match({imdb}, {sql_text(IMDB_TITLE_ID[1:-1])})",
            "invalid_imdb_id",
            f"'imdb_id: ' || {imdb}",
        ),
        *[(bad_day(f"r.{d}"), "invalid_date", f"'{d}: ' || r.{d}") for d in dates],
        *[(f"r.{c} < 0", "negative_value", f"format('{c}: {{}}', r.{c})") for c in counts],
        (
            "r.vote_average < 0 OR r.vote_average > 10",
            "vote_average_out_of_range",
            "format('vote_average {}', r.vote_average)",
        ),
    ]
    reason = "CASE " + " ".join(f"WHEN coalesce({c}, false) THEN '{n}'" for c, n, _ in checks) + " END"
    detail = "CASE " + " ".join(f"WHEN coalesce({c}, false) THEN {t}" for c, _, t in checks) + " END"
    listed = "[" + ", ".join(sql_text(f) for f in files) + "]"
    shaped = f"""
      WITH docs AS (SELECT filename, last_modified, size, content FROM read_text({listed})),
      typed AS (
        SELECT *, json_valid(content) AS parses,
               CASE WHEN NOT json_valid(content) THEN NULL
                    WHEN json_type(content::JSON) = 'ARRAY' THEN from_json(content, '["JSON"]')
                    WHEN json_type(content::JSON) = 'OBJECT' THEN coalesce(
                      from_json(json_extract(content, '$.results'), '["JSON"]'),
                      CASE WHEN json_extract(content, '$.id') IS NOT NULL THEN [content::JSON] END)
               END AS records
        FROM docs
      )
      SELECT filename, last_modified, records,
             CASE WHEN records IS NULL THEN
               CASE WHEN size = 0 THEN 'empty_file' WHEN parses THEN 'unrecognised_document' ELSE 'invalid_json' END
             END AS file_reason,
             CASE WHEN records IS NULL THEN content END AS document
      FROM typed
    """
    classified = f"""
      WITH records AS (
        SELECT filename, last_modified, unnest(records) AS record, generate_subscripts(records, 1) - 1 AS position
        FROM shaped WHERE records IS NOT NULL AND len(records) > 0
      ),
      parsed AS (SELECT *, json_transform(record, {sql_text(shape)}) AS r FROM records)
      SELECT filename, last_modified, position, record::VARCHAR AS record, r,
             {reason} AS reason, {detail} AS detail
      FROM parsed
    """
    return shaped, classified


def trusted_sql(kind: str, day_text: str) -> str:
    """The registry's Trusted columns of the valid records, the latest per id."""
    common = {
        "tmdb_id": "r.id",
        "original_language": blank_to_null("r.original_language"),
        "overview": blank_to_null("r.overview"),
        "tagline": blank_to_null("r.tagline"),
        "status": blank_to_null("r.status"),
        "homepage": blank_to_null("r.homepage"),
        "adult": "r.adult",
        "popularity": "r.popularity",
        "vote_average": "r.vote_average",
        "vote_count": "r.vote_count",
        "genres": "r.genres",
        "production_companies": "r.production_companies",
        "production_countries": "r.production_countries",
        "spoken_languages": "r.spoken_languages",
        "cast": "r.credits.cast",
        "crew": "r.credits.crew",
        "source_file": "filename",
    }
    if kind == "movies":
        specific = {
            "imdb_id": blank_to_null("r.imdb_id"),
            "title": "r.title",
            "original_title": "r.original_title",
            "release_date": day("r.release_date"),
            "runtime": "nullif(r.runtime, 0)",
            "budget": "nullif(r.budget, 0)",
            "revenue": "nullif(r.revenue, 0)",
            "belongs_to_collection": "r.belongs_to_collection",
            "keywords": "r.keywords.keywords",
            "release_dates": (
                "flatten(list_transform(r.release_dates.results, c -> list_transform(c.release_dates, d -> "
                "{'iso_3166_1': c.iso_3166_1, 'certification': "
                + blank_to_null("d.certification")
                + ", 'release_date': "
                + day("d.release_date")
                + ", 'type': d.type})))"
            ),
        }
    else:
        specific = {
            "imdb_id": blank_to_null("r.external_ids.imdb_id"),
            "name": "r.name",
            "original_name": "r.original_name",
            "first_air_date": day("r.first_air_date"),
            "last_air_date": day("r.last_air_date"),
            "number_of_seasons": "r.number_of_seasons",
            "number_of_episodes": "r.number_of_episodes",
            "episode_run_time": "r.episode_run_time",
            "type": blank_to_null("r.type"),
            "in_production": "r.in_production",
            "origin_country": "r.origin_country",
            "networks": "r.networks",
            "created_by": "r.created_by",
            "keywords": "r.keywords.results",
            "content_ratings": "r.content_ratings.results",
        }
    values = common | specific
    columns = ", ".join(
        f'CAST({values[c["name"]]} AS {duck_type(c["type"])}) AS "{c["name"]}"' for c in table(TABLES[kind])["columns"]
    )
    return f"""
      SELECT {columns}, {sql_text(day_text)} AS dt FROM classified WHERE reason IS NULL
      QUALIFY row_number() OVER (PARTITION BY r.id ORDER BY last_modified DESC, filename DESC, position DESC) = 1
    """


def convert(con, kind: str, raw_dir: Path, day_text: str, out_dir: Path) -> dict:
    """One kind's Raw day -> `<out_dir>/<kind>/trusted.parquet` and `quarantine.json`; returns counts and durations."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files = sorted(str(p) for p in raw_dir.glob("*.json"))
    durations = {}
    shaped_sql, classified_sql = conversion_sql(files, kind)
    clock = time.perf_counter()
    con.execute(f"CREATE OR REPLACE TEMP TABLE shaped AS {shaped_sql}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE classified AS {classified_sql}")
    durations["read, parse and check"] = time.perf_counter() - clock
    clock = time.perf_counter()
    trusted = out_dir / "trusted.parquet"
    con.execute(f"COPY ({trusted_sql(kind, day_text)}) TO '{trusted}' (FORMAT parquet)")
    durations["latest per id and write Parquet"] = time.perf_counter() - clock
    clock = time.perf_counter()
    refused_files = con.execute(
        "SELECT file_reason, count(*) FROM shaped WHERE file_reason IS NOT NULL GROUP BY 1"
    ).fetchall()
    con.execute(
        "COPY (SELECT filename AS source_file, position, reason, detail, record FROM classified "
        "WHERE reason IS NOT NULL "
        "UNION ALL SELECT filename, NULL, file_reason, NULL, document FROM shaped WHERE file_reason IS NOT NULL) "
        f"TO '{out_dir / 'quarantine.json'}' (FORMAT json)"
    )
    durations["write quarantine"] = time.perf_counter() - clock
    raw, valid = con.execute("SELECT count(*), count(*) FILTER (WHERE reason IS NULL) FROM classified").fetchone()
    by_reason = dict(
        con.execute("SELECT reason, count(*) FROM classified WHERE reason IS NOT NULL GROUP BY 1").fetchall()
    )
    written = con.execute(f"SELECT count(*) FROM '{trusted}'").fetchone()[0]
    con.execute("DROP TABLE classified")
    con.execute("DROP TABLE shaped")
    return {
        "table": TABLES[kind],
        "raw": raw,
        "trusted": written,
        "quarantined": sum(by_reason.values()),
        "quarantined_by_reason": by_reason,
        "duplicates": valid - written,
        "files": len(files),
        "files_quarantined_by_reason": dict(refused_files),
        "durations_s": {k: round(v, 3) for k, v in durations.items()},
    }


def main() -> None:
    """Converts every (kind, Raw day folder) pair given in one DuckDB connection and prints the counts as JSON."""
    if len(sys.argv) < 5 or len(sys.argv) % 2 == 0:
        raise SystemExit("usage: duckdb_trusted_tmdb.py OUT_DIR DAY KIND RAW_DIR [KIND RAW_DIR ...]")
    out_dir, day_text, pairs = Path(sys.argv[1]), sys.argv[2], sys.argv[3:]
    started = time.perf_counter()
    con = duckdb.connect()
    results = [
        convert(con, kind, Path(raw_dir), day_text, out_dir / TABLES[kind])
        for kind, raw_dir in zip(pairs[::2], pairs[1::2], strict=True)
    ]
    print(json.dumps({"datasets": results, "seconds": round(time.perf_counter() - started, 3)}))


if __name__ == "__main__":
    main()
