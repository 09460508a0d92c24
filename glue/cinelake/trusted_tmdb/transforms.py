"""Pure transforms of the TMDB job: Raw TMDB JSON documents -> one typed row per TMDB id, or quarantine with a reason.

A Raw file is one JSON document: an array of TMDB detail objects (what the ApiIngestor writes), an object with a
`results` array, or a single detail object. Each record is parsed with an explicit schema built from the registry's
nested types, so the Trusted columns and the parsing agree by construction.
"""

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from ..registry import table

IMDB_TITLE_ID = r"^tt\d{7,8}$"
ISO_DAY = r"^\d{4}-\d{2}-\d{2}$"
MAX_INT = 2**31 - 1
CORRUPT = "_corrupt_record"

# kind -> registry table of the Trusted output
TABLES = {"movies": "trusted_tmdb_movies", "series": "trusted_tmdb_series"}

FILE_REASONS = ("empty_file", "invalid_json", "unrecognised_document")
RECORD_REASONS = (
    "not_an_object",
    "tmdb_error",
    "wrong_type",
    "missing_id",
    "invalid_id",
    "missing_title",
    "invalid_imdb_id",
    "invalid_date",
    "negative_value",
    "vote_average_out_of_range",
)


def _types(table_name: str) -> dict[str, str]:
    return {c["name"]: c["type"] for c in table(table_name)["columns"]}


def _ddl(fields: dict[str, str]) -> str:
    return ", ".join(f"`{name}` {hive_type}" for name, hive_type in fields.items())


def raw_schema(kind: str) -> str:
    """The DDL schema a Raw TMDB record is parsed with (TMDB's field names; nested types from the registry)."""
    types = _types(TABLES[kind])
    fields = {
        "id": "bigint",
        "original_language": "string",
        "overview": "string",
        "tagline": "string",
        "status": "string",
        "homepage": "string",
        "adult": "boolean",
        "popularity": "double",
        "vote_average": "double",
        "vote_count": "bigint",
        "genres": types["genres"],
        "production_companies": types["production_companies"],
        "production_countries": types["production_countries"],
        "spoken_languages": types["spoken_languages"],
        "credits": f"struct<`cast`:{types['cast']},`crew`:{types['crew']}>",
        "external_ids": "struct<imdb_id:string>",
        # TMDB's error body: {"success": false, "status_code": 34, "status_message": "..."}
        "success": "boolean",
        "status_code": "int",
        "status_message": "string",
    }
    if kind == "movies":
        fields |= {
            "imdb_id": "string",
            "title": "string",
            "original_title": "string",
            "release_date": "string",
            "runtime": "bigint",
            "budget": "bigint",
            "revenue": "bigint",
            "belongs_to_collection": types["belongs_to_collection"],
            "keywords": f"struct<keywords:{types['keywords']}>",
            "release_dates": (
                "struct<results:array<struct<iso_3166_1:string,"
                "release_dates:array<struct<certification:string,release_date:string,type:int>>>>>"
            ),
        }
    else:
        fields |= {
            "name": "string",
            "original_name": "string",
            "first_air_date": "string",
            "last_air_date": "string",
            "number_of_seasons": "bigint",
            "number_of_episodes": "bigint",
            "episode_run_time": "array<bigint>",
            "type": "string",
            "in_production": "boolean",
            "origin_country": "array<string>",
            "networks": types["networks"],
            "created_by": types["created_by"],
            "keywords": f"struct<results:{types['keywords']}>",
            "content_ratings": f"struct<results:{types['content_ratings']}>",
        }
    return _ddl(fields | {CORRUPT: "string"})


def shape_documents(files: DataFrame) -> DataFrame:
    """Whole files (`source_file`, `modified`, `value`) -> one row per record, refused file or file without records.

    `entry` tells them apart: `record` (`position` 0-based in the file, `record` its JSON text), `file` (a refused
    document: `file_reason`, `file_detail`, `document` the whole text) or `none` (a document holding no record, such as
    `[]`: no output, but the file was read). One pass over the documents gives records and refused files alike.
    """
    text = F.trim(F.col("value"))
    as_array = F.from_json(F.col("value"), "array<string>")
    results = F.from_json(F.get_json_object(F.col("value"), "$.results"), "array<string>")
    single = F.when(F.get_json_object(F.col("value"), "$.id").isNotNull(), F.array(text))
    shaped = files.select(
        "source_file",
        "modified",
        "value",
        F.when(text.startswith("["), as_array).when(text.startswith("{"), F.coalesce(results, single)).alias("records"),
    )
    refused = F.col("records").isNull()
    # get_json_object returns null for malformed JSON; a parseable document has some root. Only asked of a refused
    # document (inside its CASE branch): for the others it would be one more parse and copy of the whole text.
    parses = F.get_json_object(F.concat(F.lit('{"root":'), F.trim("value"), F.lit("}")), "$.root").isNotNull()
    return shaped.select(
        "source_file",
        "modified",
        F.when(refused, F.lit("file"))
        .when(F.size("records") == 0, F.lit("none"))
        .otherwise(F.lit("record"))
        .alias("entry"),
        F.when(refused, F.when(parses, "unrecognised_document").otherwise("invalid_json")).alias("file_reason"),
        F.when(
            refused,
            F.when(parses, "neither an array, an object with `results`, nor a detail object with `id`").otherwise(
                "not parseable as JSON"
            ),
        ).alias("file_detail"),
        F.when(refused, F.col("value")).alias("document"),
        # One (null) item for a refused file and none for an empty array: the outer explode keeps both as a row.
        F.posexplode_outer(F.when(refused, F.array(F.lit(None).cast("string"))).otherwise(F.col("records"))).alias(
            "position", "record"
        ),
    )


def split_documents(files: DataFrame) -> tuple[DataFrame, DataFrame]:
    """Whole files (`source_file`, `modified`, `value`) -> (records, refused files).

    records: `source_file`, `modified`, `position` (0-based in the file), `record` (the record's JSON text).
    refused files: `source_file`, `reason`, `detail`, `record` (the whole document).
    """
    entries = shape_documents(files)
    records = entries.where(F.col("entry") == "record").select("source_file", "modified", "position", "record")
    refused = entries.where(F.col("entry") == "file").select(
        "source_file",
        F.col("file_reason").alias("reason"),
        F.col("file_detail").alias("detail"),
        F.col("document").alias("record"),
    )
    return records, refused


def _blank_to_null(value: Column) -> Column:
    return F.when(F.trim(value) == "", F.lit(None)).otherwise(value)


def _day(value: Column) -> Column:
    """A TMDB date (`YYYY-MM-DD`, or an ISO timestamp whose first 10 characters are the day) as a date."""
    return F.to_date(F.substring(_blank_to_null(value), 1, 10))


def _bad_day(value: Column) -> Column:
    text = _blank_to_null(value)
    return text.isNotNull() & (~F.substring(text, 1, 10).rlike(ISO_DAY) | _day(value).isNull())


def parse_records(records: DataFrame, kind: str) -> DataFrame:
    """Records -> their parsed fields as `r`, plus `reason`/`detail` of the first failed check (null when valid)."""
    parsed = records.withColumn("r", F.from_json("record", raw_schema(kind), {"columnNameOfCorruptRecord": CORRUPT}))
    r = F.col("r")
    title = "title" if kind == "movies" else "name"
    imdb = r["imdb_id"] if kind == "movies" else r["external_ids"]["imdb_id"]
    dates = ["release_date"] if kind == "movies" else ["first_air_date", "last_air_date"]
    counts = ["vote_count", "runtime", "budget", "revenue"] if kind == "movies" else ["vote_count", "number_of_seasons"]
    if kind == "series":
        counts.append("number_of_episodes")

    checks: list[tuple[Column, str, Column]] = [
        (~F.trim("record").startswith("{"), "not_an_object", F.lit("record is not a JSON object")),
        (
            (r["success"] == F.lit(False)) | r["status_code"].isNotNull(),
            "tmdb_error",
            F.format_string("TMDB error %s: %s", r["status_code"], r["status_message"]),
        ),
        (r[CORRUPT].isNotNull(), "wrong_type", F.lit("a field does not have TMDB's type (see the record)")),
        (r["id"].isNull(), "missing_id", F.lit("no `id`")),
        ((r["id"] <= 0) | (r["id"] > MAX_INT), "invalid_id", F.format_string("id %d", r["id"])),
        (_blank_to_null(r[title]).isNull(), "missing_title", F.lit(f"no `{title}`")),
        (
            _blank_to_null(imdb).isNotNull() & ~imdb.rlike(IMDB_TITLE_ID),
            "invalid_imdb_id",
            F.concat(F.lit("imdb_id: "), imdb),
        ),
        *[(_bad_day(r[d]), "invalid_date", F.concat(F.lit(f"{d}: "), r[d])) for d in dates],
        *[(r[c] < 0, "negative_value", F.format_string(f"{c}: %d", r[c])) for c in counts],
        (
            (r["vote_average"] < 0) | (r["vote_average"] > 10),
            "vote_average_out_of_range",
            F.format_string("vote_average %s", r["vote_average"]),
        ),
    ]
    # The index of the first failing check is its own projection, so each check is evaluated once per record (a
    # reason chain and a detail chain each testing the checks would test them all twice for a valid record).
    parsed = parsed.withColumn(
        "_failed", F.coalesce(*[F.when(failed, F.lit(i)) for i, (failed, _, _) in enumerate(checks)])
    )
    index = F.col("_failed")
    reason = F.element_at(F.array(*[F.lit(name) for _, name, _ in checks]), index + 1)
    detail = F.coalesce(*[F.when(index == i, text) for i, (_, _, text) in enumerate(checks)])
    return parsed.withColumn("reason", reason).withColumn("detail", detail).drop("_failed")


def _zero_to_null(value: Column) -> Column:
    """TMDB's 0 means unknown for budget, revenue and runtime."""
    return F.when(value == 0, F.lit(None)).otherwise(value)


def to_trusted(valid: DataFrame, kind: str, day: str) -> DataFrame:
    """Valid parsed records -> exactly the registry's columns (plus `dt`), typed."""
    r = F.col("r")
    common = {
        "tmdb_id": r["id"],
        "original_language": _blank_to_null(r["original_language"]),
        "overview": _blank_to_null(r["overview"]),
        "tagline": _blank_to_null(r["tagline"]),
        "status": _blank_to_null(r["status"]),
        "homepage": _blank_to_null(r["homepage"]),
        "adult": r["adult"],
        "popularity": r["popularity"],
        "vote_average": r["vote_average"],
        "vote_count": r["vote_count"],
        "genres": r["genres"],
        "production_companies": r["production_companies"],
        "production_countries": r["production_countries"],
        "spoken_languages": r["spoken_languages"],
        "cast": r["credits"]["cast"],
        "crew": r["credits"]["crew"],
        "source_file": F.col("source_file"),
    }
    if kind == "movies":
        flattened = F.flatten(
            F.transform(
                r["release_dates"]["results"],
                lambda country: F.transform(
                    country["release_dates"],
                    lambda d: F.struct(
                        country["iso_3166_1"].alias("iso_3166_1"),
                        _blank_to_null(d["certification"]).alias("certification"),
                        _day(d["release_date"]).alias("release_date"),
                        d["type"].alias("type"),
                    ),
                ),
            )
        )
        specific = {
            "imdb_id": _blank_to_null(r["imdb_id"]),
            "title": r["title"],
            "original_title": r["original_title"],
            "release_date": _day(r["release_date"]),
            "runtime": _zero_to_null(r["runtime"]),
            "budget": _zero_to_null(r["budget"]),
            "revenue": _zero_to_null(r["revenue"]),
            "belongs_to_collection": r["belongs_to_collection"],
            "keywords": r["keywords"]["keywords"],
            "release_dates": flattened,
        }
    else:
        specific = {
            "imdb_id": _blank_to_null(r["external_ids"]["imdb_id"]),
            "name": r["name"],
            "original_name": r["original_name"],
            "first_air_date": _day(r["first_air_date"]),
            "last_air_date": _day(r["last_air_date"]),
            "number_of_seasons": r["number_of_seasons"],
            "number_of_episodes": r["number_of_episodes"],
            "episode_run_time": r["episode_run_time"],
            "type": _blank_to_null(r["type"]),
            "in_production": r["in_production"],
            "origin_country": r["origin_country"],
            "networks": r["networks"],
            "created_by": r["created_by"],
            "keywords": r["keywords"]["results"],
            "content_ratings": r["content_ratings"]["results"],
        }
    values = common | specific
    columns = table(TABLES[kind])["columns"]
    return valid.select(*[values[c["name"]].cast(c["type"]).alias(c["name"]) for c in columns], F.lit(day).alias("dt"))


def latest_per_id(valid: DataFrame) -> DataFrame:
    """One record per TMDB id: the latest file (modification time, then path) and the last position in it."""
    order = Window.partitionBy(F.col("r")["id"]).orderBy(
        F.col("modified").desc(), F.col("source_file").desc(), F.col("position").desc()
    )
    return valid.withColumn("_rank", F.row_number().over(order)).where(F.col("_rank") == 1).drop("_rank")


def quarantined_records(parsed: DataFrame, day: str) -> DataFrame:
    """Refused records as quarantine entries: where they came from, the reason and the record's JSON text."""
    return parsed.where(F.col("reason").isNotNull()).select(
        F.lit(day).alias("dt"),
        "source_file",
        F.col("position").cast("int").alias("position"),
        "reason",
        "detail",
        "record",
    )


def classify_entries(entries: DataFrame, kind: str) -> DataFrame:
    """shape_documents' rows -> every entry with `reason`/`detail` (null when valid), narrowed for the outputs.

    Records are checked by parse_records; a refused file keeps its file reason and its whole document as `record`
    (position null, as quarantined_files shapes it); a file without records has no reason and is no valid record.
    Only what an output reads is kept: the parsed record `r` of a valid record, the text of a refused entry.
    """
    parsed = parse_records(entries, kind)
    entry = F.col("entry")
    reason = F.when(entry == "file", F.col("file_reason")).when(entry == "record", F.col("reason"))
    detail = F.when(entry == "file", F.col("file_detail")).when(entry == "record", F.col("detail"))
    return parsed.select(
        "source_file",
        "modified",
        "entry",
        F.when(entry == "record", F.col("position")).alias("position"),
        reason.alias("reason"),
        detail.alias("detail"),
        F.when(reason.isNotNull(), F.coalesce("document", "record")).alias("record"),
        F.when((entry == "record") & reason.isNull(), F.col("r")).alias("r"),
    )


def valid_records(classified: DataFrame) -> DataFrame:
    """The records that passed every check (classify_entries' rows)."""
    return classified.where((F.col("entry") == "record") & F.col("reason").isNull())


def empty_files(spark, listed: list[str], seen: set[str]) -> DataFrame:
    """Refused-file rows for the listed files the text reader returned nothing for (empty files yield no row)."""
    # Built from literals in the JVM: a DataFrame of Python rows would start Python workers just to unpickle them.
    missing = [
        F.struct(
            F.lit(uri).alias("source_file"),
            F.lit("empty_file").alias("reason"),
            F.lit("the file is empty").alias("detail"),
            F.lit("").alias("record"),
        )
        for uri in listed
        if uri not in seen
    ]
    if missing:
        return spark.range(1).select(F.inline(F.array(*missing)))
    return spark.range(0).select(
        *[F.lit(None).cast("string").alias(c) for c in ("source_file", "reason", "detail", "record")]
    )


def quarantined_files(refused: DataFrame, day: str) -> DataFrame:
    """Refused files as quarantine entries, shaped like refused records (position null)."""
    return refused.select(
        F.lit(day).alias("dt"),
        "source_file",
        F.lit(None).cast("int").alias("position"),
        "reason",
        "detail",
        "record",
    )
