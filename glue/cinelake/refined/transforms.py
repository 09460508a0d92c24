"""The Refined job's pure transforms: Trusted DataFrames -> the star schema of lake/tables/refined.ts.

Grain: one fact row per title (IMDb id) of the Trusted CSV tables, movies and series alike; TMDB enriches a title
when its latest record (newest dt) carries the same IMDb id, and a title TMDB does not know still reaches the model.
Surrogate keys are xxhash64 of a namespaced natural key ("title|tt0000009"), so a rerun gives every row the same key.
"""

from dataclasses import dataclass, field
from functools import reduce

from pyspark import StorageLevel
from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from ..errors import IntegrityError
from ..registry import registry, spark_schema, table

UNKNOWN_GENRE = "Unknown"
"""The genre a title without IMDb genres gets, so it still shows under the dashboard's genre filter."""

REFINED_TABLE_NAMES = [t["name"] for t in registry()["tables"] if t["zone"] == "refined"]
"""Every Refined table, in the registry's order."""


REGISTRY_FIX = "the transform and lake/tables/refined.ts disagree: align them, run `npm run registry:export`"
INTEGRITY_FIX = (
    "nothing was published (Refined is unchanged): the examples name the rows that break the model; fix the Trusted "
    "input or the transform, then rerun refined"
)


def surrogate_key(namespace: str, *parts: Column) -> Column:
    """xxhash64 of "<namespace>|part|part..." with nulls spelled out, so keys depend on natural keys only."""
    return F.xxhash64(F.concat_ws("|", F.lit(namespace), *[F.coalesce(p.cast("string"), F.lit("")) for p in parts]))


def date_key(day: Column) -> Column:
    """A date as the int yyyymmdd (dim_date's key)."""
    return F.date_format(day, "yyyyMMdd").cast("int")


def gender_name(code: Column) -> Column:
    """TMDB's gender code as a word: 1 female, 2 male, 3 non-binary, anything else unknown."""
    return F.when(code == 1, "female").when(code == 2, "male").when(code == 3, "non-binary").otherwise(F.lit("unknown"))


def category_gender(category: Column) -> Column:
    """The CSV's artist category as a gender: IMDb's `actress` is female, `actor` male."""
    lowered = F.lower(category)
    return F.when(lowered == "actress", "female").when(lowered == "actor", "male").otherwise(F.lit("unknown"))


def csv_credits(movies: DataFrame, series: DataFrame) -> DataFrame:
    """The two CSV tables as one, with `kind`, a `title_key` and the artist's `person_key`; series-only `end_year` is
    null for movies."""
    movies = movies.withColumn("end_year", F.lit(None).cast("int")).withColumn("kind", F.lit("movie"))
    series = series.withColumn("kind", F.lit("series"))
    both = movies.unionByName(series.select(*movies.columns))
    return both.withColumn("title_key", surrogate_key("title", F.col("imdb_id"))).withColumn(
        "person_key", csv_person_key()
    )


CSV_TITLE_COLUMNS = [
    "title_key",
    "imdb_id",
    "kind",
    "title",
    "original_title",
    "release_year",
    "end_year",
    "runtime_minutes",
    "genres",
    "average_rating",
    "num_votes",
]
"""The columns of a CSV row that describe its title (csv_titles)."""


def credits_by_title(credits: DataFrame) -> DataFrame:
    """The CSV credits' title columns and each row's artist key, shuffled by title: csv_titles' aggregate then runs
    after the shuffle, in one sort (an aggregate over strings is sort-based, and a map-side one would sort too)."""
    return credits.select(*CSV_TITLE_COLUMNS, "person_key").repartition("title_key")


def csv_person_key() -> Column:
    """The key of a CSV artist: name and birth year (the CSV has no person id); null when the row has no artist."""
    return F.when(
        F.col("artist_name").isNotNull(), surrogate_key("person|imdb", F.col("artist_name"), F.col("birth_year"))
    )


def csv_titles(credits: DataFrame) -> DataFrame:
    """One row per (title, kind) of the CSVs: the title columns (repeated per artist in Raw) and the artist count."""
    return credits.groupBy("title_key", "imdb_id", "kind").agg(
        F.max("title").alias("title"),
        F.max("original_title").alias("original_title"),
        F.max("release_year").alias("csv_release_year"),
        F.max("end_year").alias("end_year"),
        F.max("runtime_minutes").alias("csv_runtime"),
        F.max("genres").alias("imdb_genres"),
        F.max("average_rating").alias("imdb_rating"),
        F.max("num_votes").alias("imdb_votes"),
        # The number of distinct artists as the size of their set, not count(DISTINCT): Spark plans a distinct count
        # beside other aggregates as three more aggregations (each a sort here, as the others hold strings), and a
        # set makes the whole aggregate hash-based until it outgrows its map (full scale, warm: 7.1 s -> 5.6 s).
        F.size(F.collect_set("person_key")).alias("artist_count"),
    )


def _tmdb_common() -> list[str]:
    """The TMDB columns movies and series share, by their Trusted names."""
    return [
        "tmdb_id",
        "imdb_id",
        "original_language",
        "status",
        "popularity",
        "vote_average",
        "vote_count",
        "genres",
        "production_companies",
        "production_countries",
        "cast",
        "crew",
        "dt",
        "source_file",
    ]


def tmdb_movies_shape(df: DataFrame) -> DataFrame:
    """Trusted TMDB movies in the shape both kinds share."""
    return df.select(
        *_tmdb_common(),
        F.lit("movie").alias("kind"),
        F.col("title").alias("tmdb_title"),
        F.col("release_date").alias("release_date"),
        F.col("runtime").alias("tmdb_runtime"),
        F.col("budget"),
        F.col("revenue"),
        F.col("belongs_to_collection.id").alias("collection_id"),
        F.col("belongs_to_collection.name").alias("collection_name"),
        F.lit(None).cast("string").alias("series_type"),
        F.lit(None).cast("boolean").alias("in_production"),
        F.lit(None).cast("int").alias("number_of_seasons"),
        F.lit(None).cast("int").alias("number_of_episodes"),
        F.lit(None).cast("array<struct<id:int,name:string,origin_country:string>>").alias("networks"),
    )


def tmdb_series_shape(df: DataFrame) -> DataFrame:
    """Trusted TMDB series in the shape both kinds share (episode runtime: the first one TMDB lists)."""
    return df.select(
        *_tmdb_common(),
        F.lit("series").alias("kind"),
        F.col("name").alias("tmdb_title"),
        F.col("first_air_date").alias("release_date"),
        F.col("episode_run_time").getItem(0).alias("tmdb_runtime"),
        F.lit(None).cast("bigint").alias("budget"),
        F.lit(None).cast("bigint").alias("revenue"),
        F.lit(None).cast("int").alias("collection_id"),
        F.lit(None).cast("string").alias("collection_name"),
        F.col("type").alias("series_type"),
        F.col("in_production"),
        F.col("number_of_seasons"),
        F.col("number_of_episodes"),
        F.col("networks"),
    )


TMDB_RECORD_KEY = ["kind", "tmdb_id", "dt"]
"""What identifies one Trusted TMDB record: Trusted keeps one record per TMDB id and day (dt) of each kind."""


def latest_tmdb_keys(records: DataFrame, as_of: str | None = None) -> DataFrame:
    """Which TMDB record each title uses, as (kind, tmdb_id, dt, imdb_id): per TMDB id its newest dt (up to `as_of`),
    then per (kind, IMDb id) the newest dt, most votes, lowest TMDB id (two TMDB ids claiming one IMDb id must not
    give a title two fact rows). Chosen over the few key columns only, so the wide records are never shuffled."""
    if as_of is not None:
        records = records.where(F.col("dt") <= as_of)
    keys = records.select(*TMDB_RECORD_KEY, "imdb_id", "source_file", "vote_count")
    per_id = Window.partitionBy("kind", "tmdb_id").orderBy(F.col("dt").desc(), F.col("source_file").desc())
    newest = keys.withColumn("_n", F.row_number().over(per_id)).where("_n = 1").drop("_n")
    per_title = Window.partitionBy("kind", "imdb_id").orderBy(
        F.col("dt").desc(), F.col("vote_count").desc_nulls_last(), F.col("tmdb_id")
    )
    return (
        newest.where(F.col("imdb_id").isNotNull())
        .withColumn("_n", F.row_number().over(per_title))
        .where("_n = 1")
        .select(*TMDB_RECORD_KEY, "imdb_id")
    )


def tmdb_of_titles(records: DataFrame, chosen: DataFrame) -> DataFrame:
    """The chosen TMDB records (`chosen`: their keys and title_key) with their title_key, picked out of the wide
    records by a broadcast join: the chosen keys are small, the records (cast, crew, ...) stay where they were read."""
    return records.join(F.broadcast(chosen), TMDB_RECORD_KEY, "inner")


TMDB_TITLE_COLUMNS = [
    "tmdb_id",
    "tmdb_title",
    "original_language",
    "status",
    "popularity",
    "vote_average",
    "vote_count",
    "release_date",
    "tmdb_runtime",
    "budget",
    "revenue",
    "collection_id",
    "collection_name",
    "series_type",
    "in_production",
    "number_of_seasons",
    "number_of_episodes",
    "dt",
]
"""The TMDB columns dim_title and fact_title take (one value per title; the lists go to the bridges instead)."""


def enriched_titles(titles: DataFrame, tmdb: DataFrame) -> DataFrame:
    """CSV titles left-joined to their TMDB record's single values (`t_`-prefixed, null when TMDB does not know the
    title), and the number of distinct TMDB cast members (`t_cast_count`)."""
    scalars = tmdb.select(
        "title_key",
        "kind",
        *[F.col(c).alias(f"t_{c}") for c in TMDB_TITLE_COLUMNS],
        F.size(F.array_distinct(F.coalesce(F.col("cast.id"), F.array()))).alias("t_cast_count"),
    )
    joined = titles.join(scalars, ["title_key", "kind"], "left")
    return joined.withColumn("is_tmdb_enriched", F.col("t_tmdb_id").isNotNull())


def dim_title(enriched: DataFrame) -> DataFrame:
    """dim_title: who the title is; the release year from IMDb, else TMDB's date."""
    release_year = F.coalesce(F.col("csv_release_year"), F.year("t_release_date"))
    return enriched.select(
        "title_key",
        "imdb_id",
        "kind",
        "title",
        "original_title",
        release_year.alias("release_year"),
        "end_year",
        (F.floor(release_year / 10) * 10).cast("int").alias("decade"),
        F.col("t_tmdb_id").alias("tmdb_id"),
        F.col("t_tmdb_title").alias("tmdb_title"),
        F.col("t_original_language").alias("original_language"),
        F.col("t_status").alias("status"),
        F.col("t_collection_id").alias("collection_id"),
        F.col("t_collection_name").alias("collection_name"),
        F.col("t_series_type").alias("series_type"),
        F.col("t_in_production").alias("in_production"),
        "is_tmdb_enriched",
        F.col("t_dt").alias("tmdb_dt"),
    )


def _positive(column: str) -> Column:
    # Trusted already turns TMDB's 0 into null; a non-positive amount is "unknown" here too, never a real zero.
    return F.when(F.col(column) > 0, F.col(column))


def fact_title(enriched: DataFrame) -> DataFrame:
    """fact_title: one row per title with its measures."""
    budget, revenue = _positive("t_budget"), _positive("t_revenue")
    return enriched.select(
        "title_key",
        date_key(F.col("t_release_date")).alias("release_date_key"),
        date_key(F.to_date("t_dt")).alias("tmdb_snapshot_date_key"),
        "imdb_rating",
        "imdb_votes",
        F.col("t_popularity").alias("tmdb_popularity"),
        F.col("t_vote_average").alias("tmdb_vote_average"),
        F.col("t_vote_count").alias("tmdb_vote_count"),
        budget.alias("budget"),
        revenue.alias("revenue"),
        (revenue - budget).alias("profit"),
        F.coalesce(F.col("csv_runtime"), F.col("t_tmdb_runtime")).alias("runtime_minutes"),
        F.col("t_number_of_seasons").alias("number_of_seasons"),
        F.col("t_number_of_episodes").alias("number_of_episodes"),
        "artist_count",
        F.when(F.col("is_tmdb_enriched"), F.col("t_cast_count")).cast("int").alias("tmdb_cast_count"),
    )


def dim_date(dim_title_df: DataFrame, fact: DataFrame) -> DataFrame:
    """dim_date: every day of every year a title or a TMDB snapshot refers to (whole years, first to last)."""
    years = (
        dim_title_df.select(F.col("release_year").alias("y"))
        .unionByName(fact.select(F.floor(F.col("release_date_key") / 10000).cast("int").alias("y")))
        .unionByName(fact.select(F.floor(F.col("tmdb_snapshot_date_key") / 10000).cast("int").alias("y")))
    )
    bounds = years.agg(F.min("y").alias("lo"), F.max("y").alias("hi")).where(F.col("lo").isNotNull())
    days = bounds.select(
        F.explode(F.sequence(F.make_date("lo", F.lit(1), F.lit(1)), F.make_date("hi", F.lit(12), F.lit(31)))).alias(
            "date"
        )
    )
    return days.select(
        date_key(F.col("date")).alias("date_key"),
        "date",
        F.year("date").alias("year"),
        F.quarter("date").alias("quarter"),
        F.month("date").alias("month"),
        F.dayofmonth("date").alias("day"),
        # Spark's dayofweek is 1 = Sunday; ISO counts from Monday.
        (((F.dayofweek("date") + 5) % 7) + 1).alias("day_of_week"),
        (F.floor(F.year("date") / 10) * 10).cast("int").alias("decade"),
    )


def genres(titles: DataFrame, tmdb: DataFrame) -> tuple[DataFrame, DataFrame]:
    """dim_genre and bridge_title_genre: IMDb genres of the CSV titles (`Unknown` for a title without any) and the
    genres of their TMDB records (`tmdb`, with title_key).

    Blank items are not genres (Trusted drops them; a table written before it did may still hold them): they are
    removed before the explode, so only a title with no real IMDb genre gets `Unknown`, and exactly once.
    """
    named = F.filter("imdb_genres", lambda genre: F.trim(genre) != "")
    imdb = titles.select(
        "title_key", F.explode_outer(named).alias("genre_name"), F.lit("imdb").alias("source")
    ).withColumn("genre_name", F.coalesce(F.trim("genre_name"), F.lit(UNKNOWN_GENRE)))
    from_tmdb = tmdb.select(
        "title_key", F.explode("genres.name").alias("genre_name"), F.lit("tmdb").alias("source")
    ).where(F.trim("genre_name") != "")
    pairs = imdb.unionByName(from_tmdb).withColumn("genre_key", surrogate_key("genre", F.lower(F.trim("genre_name"))))
    dim = pairs.groupBy("genre_key").agg(F.min(F.trim("genre_name")).alias("genre_name"))
    bridge = pairs.select("title_key", "genre_key", "source").distinct()
    return dim, bridge


CREDIT_COLUMNS = ["character_name", "department", "job", "cast_order", "gender"]
"""The columns of a credit besides its title, person, source and role (null where a source or role has none)."""


def _credit_columns(source: str, role: str, **columns: Column) -> list[Column]:
    types = {"cast_order": "int"}
    return [F.lit(source).alias("source"), F.lit(role).alias("role")] + [
        columns.get(n, F.lit(None)).cast(types.get(n, "string")).alias(n) for n in CREDIT_COLUMNS
    ]


def _bridge_rows(grouped: DataFrame, source: str, role: str, **columns: Column) -> DataFrame:
    """Grouped credits as bridge_title_person rows: the credit columns the frame has, `columns` for ones it lacks."""
    own = {name: F.col(name) for name in CREDIT_COLUMNS if name in grouped.columns}
    return grouped.select("title_key", "person_key", *_credit_columns(source, role, **own, **columns))


def _tmdb_credits(tmdb: DataFrame, role: str, **columns: Column) -> DataFrame:
    """One TMDB credit list (`cast` or `crew`) as credit rows: the person's key, id, name and gender, `role`'s
    own columns (`columns`, over the exploded credit `c`)."""
    return tmdb.select("title_key", F.explode(role).alias("c")).select(
        "title_key",
        surrogate_key("person|tmdb", F.col("c.id")).alias("person_key"),
        F.col("c.id").alias("tmdb_person_id"),
        F.col("c.name").alias("name"),
        F.col("c.gender").alias("gender_code"),
        *_credit_columns("tmdb", role, gender=gender_name(F.col("c.gender")), **columns),
    )


GENDERS = sorted(["female", "male", "non-binary", "unknown"])
"""Every gender word the model gives, in Spark's string order (so the largest rank is the largest word)."""


def _case(pairs: list[tuple[Column, object]]) -> Column:
    """CASE WHEN condition THEN value ... over (condition, value) pairs; null when none holds."""
    return reduce(lambda case, pair: case.when(*pair), pairs[1:], F.when(*pairs[0]))


def gender_rank(gender: Column) -> Column:
    """A gender word as its rank in GENDERS: max() over ranks is max() over the words, but a number keeps the
    aggregation hash-based (Spark sorts every group whose aggregate holds a string)."""
    return _case([(gender == word, rank) for rank, word in enumerate(GENDERS)])


def gender_of_rank(rank: Column) -> Column:
    """The gender word of a rank from gender_rank."""
    return _case([(rank == number, word) for number, word in enumerate(GENDERS)])


def persons(credits: DataFrame, tmdb: DataFrame) -> tuple[DataFrame, DataFrame]:
    """dim_person and bridge_title_person: CSV artists (cast) and TMDB cast and crew, kept apart by source.

    One row per credit: a person listed twice with the same character (cast) or job (crew) is one credit, the first
    billing kept. A CSV person's key and a TMDB person's key come from different namespaces, so no credit mixes the
    two sources, and each source (and TMDB's cast and crew) is grouped on its own, by the columns that vary in it."""
    csv_people = (
        credits.where(F.col("person_key").isNotNull())
        .groupBy("person_key")
        .agg(
            F.lit("imdb").alias("source"),
            F.lit(None).cast("int").alias("tmdb_person_id"),
            F.max("artist_name").alias("name"),
            F.max("birth_year").alias("birth_year"),
            F.max("death_year").alias("death_year"),
            F.max(category_gender(F.col("artist_category"))).alias("gender"),
            F.max("professions").alias("professions"),
            F.max("known_for_titles").alias("known_for_titles"),
        )
    )
    # Few columns, summed by rank: a hash aggregate, partial before its own shuffle.
    csv_bridge = (
        credits.where(F.col("person_key").isNotNull())
        .groupBy("title_key", "person_key", "character_name")
        .agg(gender_of_rank(F.max(gender_rank(category_gender(F.col("artist_category"))))).alias("gender"))
    )
    cast = _tmdb_credits(
        tmdb,
        "cast",
        character_name=F.col("c.character"),
        department=F.lit("Acting"),
        cast_order=F.col("c.order"),
    ).where(F.col("tmdb_person_id").isNotNull())
    crew = _tmdb_credits(tmdb, "crew", department=F.col("c.department"), job=F.col("c.job")).where(
        F.col("tmdb_person_id").isNotNull()
    )
    tmdb_people = (
        cast.unionByName(crew)
        .groupBy("person_key")
        .agg(
            F.lit("tmdb").alias("source"),
            F.max("tmdb_person_id").alias("tmdb_person_id"),
            F.max("name").alias("name"),
            F.lit(None).cast("int").alias("birth_year"),
            F.lit(None).cast("int").alias("death_year"),
            # TMDB's gender of a person is one value; max() only makes the pick deterministic (a known code beats 0).
            gender_name(F.max("gender_code")).alias("gender"),
            F.lit(None).cast("array<string>").alias("professions"),
            F.lit(None).cast("array<string>").alias("known_for_titles"),
        )
    )
    cast_bridge = cast.groupBy("title_key", "person_key", "character_name").agg(
        F.min("cast_order").alias("cast_order"), gender_of_rank(F.max(gender_rank(F.col("gender")))).alias("gender")
    )
    crew_bridge = crew.groupBy("title_key", "person_key", "job").agg(
        F.max("department").alias("department"), gender_of_rank(F.max(gender_rank(F.col("gender")))).alias("gender")
    )
    acting = F.lit("Acting")
    bridge = (
        _bridge_rows(csv_bridge, "imdb", "cast", department=acting)
        .unionByName(_bridge_rows(cast_bridge, "tmdb", "cast", department=acting))
        .unionByName(_bridge_rows(crew_bridge, "tmdb", "crew"))
    )
    return csv_people.unionByName(tmdb_people), bridge


def countries(tmdb: DataFrame) -> tuple[DataFrame, DataFrame]:
    """dim_country and bridge_title_country from TMDB's production countries."""
    pairs = (
        tmdb.select("title_key", F.explode("production_countries").alias("c"))
        .select("title_key", F.upper(F.trim("c.iso_3166_1")).alias("country_code"), F.col("c.name").alias("name"))
        .where(F.col("country_code").isNotNull() & (F.col("country_code") != ""))
        .withColumn("country_key", surrogate_key("country", F.col("country_code")))
    )
    dim = pairs.groupBy("country_key").agg(
        F.max("country_code").alias("country_code"), F.max("name").alias("country_name")
    )
    return dim, pairs.select("title_key", "country_key").distinct()


def companies(tmdb: DataFrame) -> tuple[DataFrame, DataFrame]:
    """dim_company and bridge_title_company: production companies (both kinds) and TV networks (series)."""

    def exploded(column: str, company_type: str) -> DataFrame:
        return tmdb.select("title_key", F.explode(column).alias("c")).select(
            "title_key",
            F.lit(company_type).alias("company_type"),
            F.col("c.id").alias("tmdb_company_id"),
            F.col("c.name").alias("company_name"),
            F.nullif(F.trim("c.origin_country"), F.lit("")).alias("origin_country"),
        )

    pairs = (
        exploded("production_companies", "production")
        .unionByName(exploded("networks", "network"))
        .where(F.col("tmdb_company_id").isNotNull())
        .withColumn("company_key", surrogate_key("company", F.col("company_type"), F.col("tmdb_company_id")))
    )
    dim = pairs.groupBy("company_key").agg(
        F.max("company_type").alias("company_type"),
        F.max("tmdb_company_id").alias("tmdb_company_id"),
        F.max("company_name").alias("company_name"),
        F.max("origin_country").alias("origin_country"),
    )
    return dim, pairs.select("title_key", "company_key").distinct()


def conform(df: DataFrame, name: str) -> DataFrame:
    """The table's columns in the registry's order and types (a missing column fails here, loudly)."""
    schema = spark_schema(name)
    missing = [f.name for f in schema.fields if f.name not in df.columns]
    if missing:
        raise IntegrityError(
            f"{name}: the transform produced no column(s) {missing} that the registry declares", REGISTRY_FIX
        )
    return df.select(*[F.col(f.name).cast(f.dataType).alias(f.name) for f in schema.fields])


@dataclass
class Model:
    """The Refined tables by name, and the cached intermediates they share (released once the tables are written)."""

    tables: dict[str, DataFrame]
    intermediates: list[DataFrame] = field(default_factory=list)

    def release(self) -> None:
        """Frees the cached intermediates (the session may run other jobs next: nothing stays cached behind)."""
        for df in self.intermediates:
            df.unpersist()


def build_model(
    movies: DataFrame,
    series: DataFrame,
    tmdb_movies: DataFrame,
    tmdb_series: DataFrame,
    as_of: str | None = None,
) -> Model:
    """Every Refined table from the four Trusted tables (TMDB records up to the day `as_of`, all when None).

    Two intermediates are kept (memory, then disk), each computed once for every table that reads it: the keys of
    the TMDB record each title uses, and the CSV titles with their TMDB values. The CSV credits are read from Trusted
    again by each aggregate over them (the titles, the people, the CSV bridge rows), each for just its columns:
    keeping them cost more than reading them (full scale: building their cache took 16.5 s of task time, reading and
    shuffling their columns again 4-8 s). The wide TMDB records (cast, crew, genres, ...) are not kept: each table
    reads just its own columns of them and picks the chosen records by a broadcast join, which costs less than
    shuffling or caching the lists."""
    credits = csv_credits(movies, series)
    titles = csv_titles(credits_by_title(credits))
    records = tmdb_movies_shape(tmdb_movies).unionByName(tmdb_series_shape(tmdb_series))
    chosen = (
        latest_tmdb_keys(records, as_of)
        .join(titles.select("kind", "imdb_id", "title_key"), ["kind", "imdb_id"])
        .drop("imdb_id")
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    tmdb = tmdb_of_titles(records, chosen)
    enriched = enriched_titles(titles, tmdb).persist(StorageLevel.MEMORY_AND_DISK)
    dim_title_df = dim_title(enriched)
    fact = fact_title(enriched)
    dim_genre_df, bridge_genre = genres(enriched, tmdb)
    dim_person_df, bridge_person = persons(credits, tmdb)
    dim_country_df, bridge_country = countries(tmdb)
    dim_company_df, bridge_company = companies(tmdb)
    raw = {
        "fact_title": fact,
        "dim_title": dim_title_df,
        "dim_date": dim_date(dim_title_df, fact),
        "dim_genre": dim_genre_df,
        "dim_person": dim_person_df,
        "dim_country": dim_country_df,
        "dim_company": dim_company_df,
        "bridge_title_genre": bridge_genre,
        "bridge_title_person": bridge_person,
        "bridge_title_country": bridge_country,
        "bridge_title_company": bridge_company,
    }
    if sorted(raw) != sorted(REFINED_TABLE_NAMES):
        raise IntegrityError(
            f"the job builds {sorted(raw)} but the registry declares {sorted(REFINED_TABLE_NAMES)}", REGISTRY_FIX
        )
    return Model(
        tables={name: conform(raw[name], name) for name in REFINED_TABLE_NAMES},
        intermediates=[chosen, enriched],
    )


def count_in_one_pass(rows_of: dict[str, DataFrame], distinct_of: dict[str, DataFrame]) -> dict[str, int]:
    """The row count of every `rows_of` frame and the number of distinct values (null being one, as in distinct()) of
    every single-column `distinct_of` frame, all from one Spark job (one action per count would cost a job each)."""
    streams = [
        df.select(F.lit(key).alias("key"), F.lit(None).cast("string").alias("item")) for key, df in rows_of.items()
    ]
    streams += [
        df.select(F.lit(key).alias("key"), F.col(df.columns[0]).cast("string").alias("item"))
        for key, df in distinct_of.items()
    ]
    found = (
        reduce(DataFrame.unionByName, streams)
        .groupBy("key")
        .agg(
            F.count("*").alias("rows"),
            (F.count_distinct("item") + F.max(F.col("item").isNull().cast("int"))).alias("distinct"),
        )
        .collect()
    )
    by_key = {r["key"]: r for r in found}
    counts = {key: by_key[key]["rows"] if key in by_key else 0 for key in rows_of}
    counts.update({key: by_key[key]["distinct"] if key in by_key else 0 for key in distinct_of})
    return counts


def _slots(columns: list[tuple[str, str]]) -> dict[str, str]:
    """Where each key column goes in the checks' shared key columns: integral ones in `l<n>`, others in `s<n>`."""
    placed, longs, strings = {}, 0, 0
    for name, data_type in columns:
        if data_type in ("bigint", "int", "smallint", "tinyint"):
            placed[name], longs = f"l{longs}", longs + 1
        else:
            placed[name], strings = f"s{strings}", strings + 1
    return placed


@dataclass
class _Check:
    """One integrity check: its message, the key columns it groups by (name -> slot) and whether it is a primary key
    check (a key held by more than one row) or a reference check (a key referenced but held by no row)."""

    label: str
    slots: dict[str, str]
    primary_key: bool


def _key_row(check_id: int, key: list[Column], check: _Check, columns: list[str], held: bool, non_null: bool) -> Column:
    """What one side of a check contributes per row of its frame: (check id, `key`, held, referenced, keep).

    `keep` is false for a row that must not count: a null foreign key (no reference, as in a join's `where`), and a
    null key on the holding side of a reference (a null key is never a match for a reference)."""
    keys = [F.col(column).isNotNull() for column in columns]
    keep = reduce(lambda a, b: a & b, keys) if non_null or (held and not check.primary_key) else F.lit(True)
    return F.struct(
        F.lit(check_id).alias("check"),
        *key,
        F.lit(1 if held else 0).alias("held"),
        F.lit(0 if held else 1).alias("referenced"),
        keep.alias("keep"),
    )


def _key_rows(df: DataFrame, rows: list[Column]) -> DataFrame:
    """Every key row a frame contributes to the checks, from one scan of it (not one scan per check it is in)."""
    return df.select(F.inline(F.array(*rows))).where("keep").drop("keep")


_CheckSide = tuple[_Check, DataFrame, list[str], bool, bool]
"""One side of a check: (check, frame, key columns, holds the key, only rows whose key is not null)."""


def _integrity_checks(model: Model, movies: DataFrame, series: DataFrame) -> tuple[list[_CheckSide], dict[str, str]]:
    """Every check's sides, and the label of each table's primary key check (whose held sum is the table's rows)."""
    checks: list[_CheckSide] = []
    pk_labels: dict[str, str] = {}
    for name, df in model.tables.items():
        definition = table(name)
        types = dict(df.dtypes)
        pk = definition["primaryKey"]
        check = _Check(f"{name}: duplicate primary key {pk}", _slots([(c, types[c]) for c in pk]), True)
        pk_labels[name] = check.label
        checks.append((check, df, pk, True, False))
        for foreign in definition["foreignKeys"]:
            (column,), (ref_column,) = foreign["columns"], foreign["references"]["columns"]
            target = model.tables[foreign["references"]["table"]]
            ref = f"{foreign['references']['table']}.{ref_column}"
            check = _Check(f"{name}.{column}: keys missing from {ref}", _slots([(column, types[column])]), False)
            checks.append((check, df, [column], False, True))
            checks.append((check, target, [ref_column], True, False))
    dim_title_df, fact = model.tables["dim_title"], model.tables["fact_title"]
    lost = _Check("Trusted titles missing from dim_title", {"imdb_id": "s0"}, False)
    checks += [(lost, movies, ["imdb_id"], False, False), (lost, series, ["imdb_id"], False, False)]
    checks.append((lost, dim_title_df, ["imdb_id"], True, False))
    without_fact = _Check("dim_title rows without a fact_title row", {"title_key": "l0"}, False)
    checks += [
        (without_fact, dim_title_df, ["title_key"], False, False),
        (without_fact, fact, ["title_key"], True, False),
    ]
    return checks, pk_labels


def _key_stream(checks: list[_CheckSide], key_columns) -> tuple[DataFrame, dict[str, int]]:
    """The key rows of every check, from one scan per frame, and each check's number in the stream.

    `key_columns(check, columns)` gives the columns a side puts in the row besides the check's number and its
    held/referenced flags. Each check is a small number in the stream (its label only in the result): millions of
    key rows are shuffled. A frame is in several checks (a table's primary key, its foreign keys, the keys others
    reference in it): all of its key rows come from one scan of it."""
    ids = {label: number for number, label in enumerate(dict.fromkeys(c.label for c, *_ in checks))}
    by_frame: dict[int, tuple[DataFrame, list[Column]]] = {}
    for c, df, cols, held, non_null in checks:
        by_frame.setdefault(id(df), (df, []))[1].append(
            _key_row(ids[c.label], key_columns(c, cols), c, cols, held, non_null)
        )
    return reduce(DataFrame.unionByName, [_key_rows(df, rows) for df, rows in by_frame.values()]), ids


KEY_HASH_SALT = "cinelake-integrity"
"""What makes the second of a key's two 64-bit hashes a different function of the key than the first."""


def _slot_type(slot: str) -> str:
    """The type a key part is compared as: integral ones as bigint (`l<n>` slots), the others as strings."""
    return "bigint" if slot[0] == "l" else "string"


def _hashed_key(check: _Check, columns: list[str]) -> list[Column]:
    """A check's key as two 64-bit hashes (h1, h2). Each part is cast to its slot's type (so an int foreign key and
    its bigint target hash alike) and hashed with its null flag (Spark's hashes skip nulls: without the flag,
    (null, "x") and ("x", null) would hash alike)."""
    parts = []
    for name, column in zip(check.slots, columns, strict=True):
        value = F.col(column).cast(_slot_type(check.slots[name]))
        parts += [value.isNull(), value]
    return [F.xxhash64(*parts).alias("h1"), F.xxhash64(F.lit(KEY_HASH_SALT), *parts).alias("h2")]


def _duplicate_keys(primary: list[_CheckSide]) -> tuple[DataFrame, dict[str, int]]:
    """Per primary key check (numbered): its rows (`held`) and how many of its keys more than one row holds
    (`broken`), from every table's keys as two 64-bit hashes: fixed-width rows, shuffled once.

    Equal keys hash alike, so no duplicate is missed; two different keys could hash alike only by chance (128 bits),
    which check_integrity_exactly then clears."""
    keys, ids = _key_stream(primary, _hashed_key)
    # Nearly every key is unique, so a map-side partial aggregation would only copy the stream (and spill): it is
    # shuffled by key, then counted once.
    per_key = keys.repartition("check", "h1", "h2").groupBy("check", "h1", "h2").agg(F.sum("held").alias("held"))
    counted = per_key.groupBy("check").agg(
        F.sum("held").alias("held"), F.sum((F.col("held") > 1).cast("long")).alias("broken")
    )
    return counted, ids


def _missing_references(references: list[_CheckSide], first_id: int) -> tuple[DataFrame, dict[str, int]]:
    """Per reference check (numbered from `first_id`): how many referencing rows (`broken`) name a key no row of the
    referenced frame holds (`held` is 0: reference checks count no table's rows).

    The holding side of every reference is a dimension (or dim_title), small next to the bridges that reference it:
    its keys are broadcast, and each referencing frame is filtered against them where it is read (a left anti join),
    with no shuffle of the referencing rows. A null reference is kept (it matches nothing) unless the side only counts
    non-null keys; a null key held matches nothing either."""
    sides: dict[str, dict[str, list[_CheckSide]]] = {}
    for side in references:
        sides.setdefault(side[0].label, {"held": [], "referencing": []})["held" if side[3] else "referencing"].append(
            side
        )
    ids = {label: first_id + number for number, label in enumerate(sides)}
    missing = []
    for label, by_role in sides.items():
        ((check, target, (held_column,), _, _),) = by_role["held"]
        key_type = _slot_type(next(iter(check.slots.values())))
        held = target.select(F.col(held_column).cast(key_type).alias("_key")).where("_key IS NOT NULL")
        for _, frame, (column,), _, non_null in by_role["referencing"]:
            referencing = frame.select(F.col(column).cast(key_type).alias("_key"))
            if non_null:
                referencing = referencing.where("_key IS NOT NULL")
            missing.append(
                referencing.join(F.broadcast(held), "_key", "left_anti").select(F.lit(ids[label]).alias("check"))
            )
    counted = (
        reduce(DataFrame.unionByName, missing)
        .groupBy("check")
        .agg(F.lit(0).cast("long").alias("held"), F.count("*").alias("broken"))
    )
    return counted, ids


def check_integrity(model: Model, movies: DataFrame, series: DataFrame) -> dict[str, int]:
    """Fails loudly unless every primary key is unique, every foreign key exists in its table, and every Trusted title
    has exactly one dim_title and one fact_title row. Returns the row count of every table.

    One Spark job asks both questions: duplicate primary keys over the tables' keys as hashes (_duplicate_keys), and
    references to keys nobody holds by broadcast anti joins (_missing_references); the row counts are the primary
    key checks' held sums. Only when it flags a check is the model checked again over the keys themselves
    (check_integrity_exactly), which names the offending keys, or clears a duplicate two hashes gave by chance."""
    checks, pk_labels = _integrity_checks(model, movies, series)
    duplicates, pk_ids = _duplicate_keys([side for side in checks if side[0].primary_key])
    missing, _ = _missing_references([side for side in checks if not side[0].primary_key], len(pk_ids))
    rows = duplicates.unionByName(missing).collect()
    if any(r["broken"] for r in rows):
        return check_integrity_exactly(model, movies, series)
    held = {r["check"]: r["held"] for r in rows}
    return {name: held.get(pk_ids[label], 0) for name, label in pk_labels.items()}


def check_integrity_exactly(model: Model, movies: DataFrame, series: DataFrame) -> dict[str, int]:
    """check_integrity over the keys themselves (in shared typed columns, `l<n>` and `s<n>`), which names up to five
    offending keys of every broken check: raises IntegrityError naming them, or returns the row counts. All checks and
    counts are one Spark job of two shuffles, not dozens of joins."""
    checks, pk_labels = _integrity_checks(model, movies, series)
    all_slots = sorted({slot for check, *_ in checks for slot in check.slots.values()})

    def slotted(check: _Check, columns: list[str]) -> list[Column]:
        by_slot = {check.slots[name]: F.col(column) for name, column in zip(check.slots, columns, strict=True)}
        return [
            (by_slot[slot] if slot in by_slot else F.lit(None)).cast(_slot_type(slot)).alias(slot) for slot in all_slots
        ]

    keys, ids = _key_stream(checks, slotted)
    primary = [ids[c.label] for c, *_ in checks if c.primary_key]
    broken = F.when(F.col("check").isin(primary), F.col("held") > 1).otherwise(
        (F.col("refs") > 0) & (F.col("held") == 0)
    )
    grouped = keys.groupBy("check", *all_slots).agg(F.sum("held").alias("held"), F.sum("referenced").alias("refs"))
    unique = {c.label: c for c, *_ in checks}
    # The offending key as JSON under its own column names (a duplicate also says how many rows hold it).
    example = None
    for label, c in unique.items():
        fields = [F.col(slot).alias(name) for name, slot in c.slots.items()]
        value = F.to_json(F.struct(*fields, *([F.col("held").alias("count")] if c.primary_key else [])))
        example = (
            F.when(F.col("check") == ids[label], value)
            if example is None
            else example.when(F.col("check") == ids[label], value)
        )
    rows = (
        grouped.groupBy("check")
        .agg(
            F.sum("held").alias("held"),
            F.slice(F.sort_array(F.collect_list(F.when(broken, example))), 1, 5).alias("examples"),
        )
        .collect()
    )
    label_of = {number: label for label, number in ids.items()}
    failures = [f"{label_of[r['check']]}, e.g. {r['examples']}" for r in rows if r["examples"]]
    if failures:
        raise IntegrityError("Refined model failed its integrity checks: " + "; ".join(sorted(failures)), INTEGRITY_FIX)
    held = {label_of[r["check"]]: r["held"] for r in rows}
    return {name: held.get(label, 0) for name, label in pk_labels.items()}
