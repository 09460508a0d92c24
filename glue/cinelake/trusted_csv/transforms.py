"""Pure transforms of the CSV job: Raw pipe-separated lines -> typed Trusted rows or quarantined lines with a reason.

The Raw CSVs are read as text lines, not with Spark's CSV reader, so that a wrong number of fields is seen (the CSV
reader silently pads or truncates) and the quarantine keeps the line exactly as it was. Lines are handled as their
bytes (`raw`) until typed: Spark's text reader keeps a line's bytes as they are, so invalid UTF-8 is told from the
bytes (a legitimate U+FFFD is valid UTF-8) and the quarantine can store the original bytes (`line_base64`).
"""

from datetime import UTC, datetime

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from ..registry import table

NULL_MARKERS = ("\\N", "")
"""IMDb's null marker `\\N`; an empty field is treated the same (no column has a meaningful empty string)."""

# The Portuguese header of the Raw files mapped to the Trusted names, typo `tituloPincipal` included. The TypeScript
# side (lake/tables/trusted.ts, CSV_HEADER_MAPPING) holds the same mapping; a test checks they agree.
HEADER_MAPPING = {
    "id": "imdb_id",
    "tituloPincipal": "title",
    "tituloOriginal": "original_title",
    "anoLancamento": "release_year",
    "anoTermino": "end_year",
    "tempoMinutos": "runtime_minutes",
    "genero": "genres",
    "notaMedia": "average_rating",
    "numeroVotos": "num_votes",
    "generoArtista": "artist_category",
    "personagem": "character_name",
    "nomeArtista": "artist_name",
    "anoNascimento": "birth_year",
    "anoFalecimento": "death_year",
    "profissao": "professions",
    "titulosMaisConhecidos": "known_for_titles",
}

ARTIST_CATEGORIES = ("actor", "actress")
IMDB_TITLE_ID = r"^tt\d{7,8}$"
NUMBER_PATTERNS = {"int": r"^-?\d{1,9}$", "bigint": r"^-?\d{1,18}$", "double": r"^-?\d{1,6}(\.\d+)?$"}
FIRST_FILM_YEAR = 1870
EARLIEST_BIRTH_YEAR = 1750
MAX_LIFESPAN_YEARS = 120

# Every reason a line can be quarantined for, in the order the checks apply (the first failing check is reported).
REASONS = (
    "blank_line",
    "wrong_column_count",
    "invalid_encoding",
    "invalid_imdb_id",
    "missing_title",
    "not_a_number",
    "negative_value",
    "rating_out_of_range",
    "bad_year",
    "end_before_start",
    "death_before_birth",
    "implausible_age",
    "bad_artist_category",
    "invalid_known_for_title",
)


def trusted_columns(table_name: str) -> list[dict]:
    """The Trusted table's columns (name, Hive type), in Raw file order."""
    return table(table_name)["columns"]


def source_header(table_name: str) -> list[str]:
    """The Raw file's expected header (Portuguese names), derived from the registry's column order."""
    by_trusted = {trusted: source for source, trusted in HEADER_MAPPING.items()}
    return [by_trusted[c["name"]] for c in trusted_columns(table_name)]


def normalize_lines(raw: DataFrame) -> DataFrame:
    """Text lines (`value`, `source_file`) -> `raw`: the line's bytes without the UTF-8 BOM and the CR of CRLF.

    Stripped on the bytes, not on the decoded text: decoding would replace invalid bytes with U+FFFD for good.
    """
    stripped = F.expr("CASE WHEN substring(_bytes, 1, 3) = X'EFBBBF' THEN substring(_bytes, 4) ELSE _bytes END")
    without_cr = F.expr(
        "CASE WHEN substring(_stripped, -1, 1) = X'0D' THEN substring(_stripped, 1, length(_stripped) - 1) "
        "ELSE _stripped END"
    )
    return (
        raw.select(F.col("value").cast("binary").alias("_bytes"), "source_file")
        .select(stripped.alias("_stripped"), "source_file")
        .select(without_cr.alias("raw"), "source_file")
    )


def _with_bytes(lines: DataFrame) -> DataFrame:
    """Lines with both `raw` (bytes) and `line` (text); lines given as text only are valid UTF-8 by construction."""
    if "raw" not in lines.columns:
        lines = lines.withColumn("raw", F.encode("line", "UTF-8"))
    if "line" not in lines.columns:
        # Best-effort text: bytes that are not UTF-8 become U+FFFD here (the bytes themselves stay in `raw`).
        lines = lines.withColumn("line", F.decode("raw", "UTF-8"))
    return lines


def drop_header(lines: DataFrame, table_name: str) -> DataFrame:
    """Removes the header line(s) (exactly the expected header), which are not data rows."""
    lines = _with_bytes(lines)
    return lines.where(F.col("raw") != F.lit(bytearray("|".join(source_header(table_name)).encode("utf-8"))))


def distinct_lines(lines: DataFrame, files: list[str]) -> DataFrame:
    """Lines -> one row per distinct line: `raw`, `line`, `source_file` (the first file holding it) and `copies`.

    Exact duplicates (same bytes) are collapsed before typing, so each distinct line is parsed once and the dedupe is
    a single hash aggregation; the file is carried as a small integer because Spark hash-aggregates only fixed-width
    buffers. Lines are grouped on their bytes, so two different invalid lines never merge into one decoded text.
    """
    lines = _with_bytes(lines)
    index = F.lit(0)
    for position, uri in enumerate(files):
        index = F.when(F.col("source_file") == uri, F.lit(position)).otherwise(index)
    grouped = lines.groupBy("raw").agg(F.count(F.lit(1)).alias("copies"), F.min(index).alias("_file"))
    names = F.array(*[F.lit(uri) for uri in files]) if files else F.array(F.lit(None).cast("string"))
    return grouped.select(
        "raw",
        F.decode("raw", "UTF-8").alias("line"),
        F.element_at(names, F.col("_file") + 1).alias("source_file"),
        "copies",
    )


def is_valid_utf8(raw: Column, text: Column) -> Column:
    """True when the bytes are valid UTF-8, given `text` = decode(raw, "UTF-8"): the text's own bytes are the raw bytes.

    (Spark 3.5 has no is_valid_utf8; decoding replaces each invalid sequence with U+FFFD, which encodes to other
    bytes, while valid bytes, a genuine U+FFFD included, survive the round trip unchanged. A string's cast to binary
    is its UTF-8 bytes as stored, so the already decoded text is compared without encoding it again.)
    """
    return text.cast("binary") == raw


def comma_list(text: Column) -> Column:
    """A comma-separated field as an array without its empty (or blank) items; null when no item is left.

    `Drama,` is one genre, not a genre and an empty one; `,` is no genre at all, the same as `\\N`.
    """
    return non_blank_items(F.split(text, ","))


def non_blank_items(items: Column) -> Column:
    """comma_list on the field already split at its commas (`items`, the split field; null stays null)."""
    kept = F.filter(items, lambda item: F.trim(item) != "")
    return F.when(F.size(kept) > 0, kept)


def _nullable(field: Column) -> Column:
    return F.when(field.isin(*NULL_MARKERS), F.lit(None)).otherwise(field)


def first_failure(staged: DataFrame, checks: list[tuple[Column, str, Column]]) -> tuple[DataFrame, Column, Column]:
    """(staged with `_failed`, reason, detail) of the first failing check; null reason and detail when all pass.

    Plain CASE chains over the staged columns: measured faster than building an array of candidate failures per line.
    The index of the first failing check is its own projection, so every check is evaluated once per line: a reason
    chain and a detail chain each testing the checks would test them all twice for a valid line (Spark does not share
    a subexpression that only some branches of a CASE or coalesce evaluate).
    """
    failed = F.coalesce(*[F.when(condition, F.lit(i)) for i, (condition, _, _) in enumerate(checks)])
    staged = staged.select("*", failed.alias("_failed"))
    index = F.col("_failed")
    reason = F.element_at(F.array(*[F.lit(name) for _, name, _ in checks]), index + 1)
    detail = F.coalesce(*[F.when(index == i, text) for i, (_, _, text) in enumerate(checks)])
    return staged, reason, detail


def _between(value: Column, low: int, high: int) -> Column:
    return value.isNotNull() & ((value < low) | (value > high))


def classify(lines: DataFrame, table_name: str, current_year: int | None = None) -> DataFrame:
    """Lines -> `line`, `source_file`, [`copies`,] `reason`, `detail` (null when valid) and the Trusted columns, typed.

    A line is valid when every check passes; the typed columns of an invalid line are not meaningful.
    """
    current_year = current_year or datetime.now(UTC).year
    columns = trusted_columns(table_name)
    names = [c["name"] for c in columns]
    # Staged projections: Spark keeps a projection whose expensive columns are used many times, so each field is
    # split and typed once per line instead of once per check (which also keeps the generated code small).
    lines = _with_bytes(lines)
    carried = ["raw", "line", "source_file"] + (["copies"] if "copies" in lines.columns else [])
    staged = lines.select(*carried, F.split(F.col("line"), r"\|", -1).alias("_fields"))
    staged = staged.select(
        *carried,
        F.size("_fields").alias("_size"),
        *[_nullable(F.col("_fields").getItem(i)).alias(f"_text_{c['name']}") for i, c in enumerate(columns)],
    )
    fields_count = F.col("_size")
    texts = {c["name"]: F.col(f"_text_{c['name']}") for c in columns}
    # Each list field is split at its commas once: its typed column and its check (known_for_titles) share the split.
    lists = [c["name"] for c in columns if c["type"] == "array<string>"]
    staged = staged.select("*", *[F.split(texts[n], ",").alias(f"_items_{n}") for n in lists])

    typed: dict[str, Column] = {}
    number_checks = []
    for c in columns:
        name, hive_type, text = c["name"], c["type"], texts[c["name"]]
        if hive_type in NUMBER_PATTERNS:
            bad = text.isNotNull() & ~text.rlike(NUMBER_PATTERNS[hive_type])
            number_checks.append((bad, "not_a_number", F.concat(F.lit(f"{name}: "), text)))
            typed[name] = text.cast(hive_type)
        elif hive_type == "array<string>":
            typed[name] = non_blank_items(F.col(f"_items_{name}"))
        else:
            typed[name] = text

    staged = staged.select("*", *[expr.alias(name) for name, expr in typed.items()])
    typed = {name: F.col(name) for name in typed}

    def has(name: str) -> bool:
        return name in typed

    year_checks = [
        (_between(typed["release_year"], FIRST_FILM_YEAR, current_year + 15), "release_year"),
        (_between(typed["birth_year"], EARLIEST_BIRTH_YEAR, current_year), "birth_year"),
        (_between(typed["death_year"], EARLIEST_BIRTH_YEAR, current_year), "death_year"),
    ]
    if has("end_year"):
        year_checks.append((_between(typed["end_year"], FIRST_FILM_YEAR, current_year + 15), "end_year"))
    negative = [(typed[n] < 0, n) for n in ("runtime_minutes", "num_votes")]
    known_for, known_for_items = texts["known_for_titles"], F.col("_items_known_for_titles")

    checks: list[tuple[Column, str, Column]] = [
        (F.col("line") == "", "blank_line", F.lit("empty line")),
        (
            fields_count != len(columns),
            "wrong_column_count",
            F.format_string(f"expected {len(columns)} fields, found %d", fields_count),
        ),
        (~is_valid_utf8(F.col("raw"), F.col("line")), "invalid_encoding", F.lit("bytes that are not UTF-8")),
        (
            texts["imdb_id"].isNull() | ~texts["imdb_id"].rlike(IMDB_TITLE_ID),
            "invalid_imdb_id",
            F.concat(F.lit("imdb_id: "), F.coalesce(texts["imdb_id"], F.lit("null"))),
        ),
        (texts["title"].isNull(), "missing_title", F.lit("title is null")),
        *number_checks,
        *[(bad, "negative_value", F.concat(F.lit(f"{n}: "), texts[n])) for bad, n in negative],
        (
            _between(typed["average_rating"], 0, 10),
            "rating_out_of_range",
            F.concat(F.lit("average_rating: "), texts["average_rating"]),
        ),
        *[(bad, "bad_year", F.concat(F.lit(f"{n}: "), texts[n])) for bad, n in year_checks],
    ]
    if has("end_year"):
        checks.append(
            (
                typed["end_year"] < typed["release_year"],
                "end_before_start",
                F.format_string("end_year %d < release_year %d", typed["end_year"], typed["release_year"]),
            )
        )
    lifespan = typed["death_year"] - typed["birth_year"]
    checks += [
        (
            lifespan < 0,
            "death_before_birth",
            F.format_string("death_year %d < birth_year %d", typed["death_year"], typed["birth_year"]),
        ),
        (lifespan > MAX_LIFESPAN_YEARS, "implausible_age", F.format_string("lived %d years", lifespan)),
        (
            typed["artist_category"].isNotNull() & ~typed["artist_category"].isin(*ARTIST_CATEGORIES),
            "bad_artist_category",
            F.concat(F.lit("artist_category: "), typed["artist_category"]),
        ),
        (
            known_for.isNotNull() & ~F.forall(known_for_items, lambda x: x.rlike(IMDB_TITLE_ID)),
            "invalid_known_for_title",
            F.concat(F.lit("known_for_titles: "), known_for),
        ),
    ]
    # A line with the wrong number of fields fails every later check spuriously: report only the first reason.
    staged, reason, detail = first_failure(staged, checks)
    return staged.select(
        *carried,
        reason.alias("reason"),
        detail.alias("detail"),
        *[F.col(n) for n in names],
    )


def valid_rows(classified: DataFrame) -> DataFrame:
    """The lines that passed every check."""
    return classified.where(F.col("reason").isNull())


def quarantined_rows(classified: DataFrame, day: str) -> DataFrame:
    """The refused lines as quarantine records (every copy: duplicates are only removed from valid rows).

    `line` is the line as text (U+FFFD where its bytes are not UTF-8, since JSON holds text only); `line_base64` is
    the line's original bytes, exactly, without the line ending.
    """
    refused = classified.where(F.col("reason").isNotNull())
    if "copies" in classified.columns:
        refused = refused.withColumn("_copy", F.explode(F.sequence(F.lit(1), F.col("copies"))))
    return refused.select(
        F.lit(day).alias("dt"), "source_file", "reason", "detail", "line", F.base64("raw").alias("line_base64")
    )


def to_trusted(deduplicated: DataFrame, table_name: str) -> DataFrame:
    """Exactly the registry's columns and types, in order."""
    return deduplicated.select(
        *[F.col(c["name"]).cast(c["type"]).alias(c["name"]) for c in trusted_columns(table_name)]
    )
