"""The Refined job: transforms on a handful of crafted Trusted rows, integrity failures, and the job end to end."""

import json
from datetime import date

import pytest
from cinelake import refined
from cinelake.errors import UpstreamMissingError
from cinelake.refined import IntegrityError, Model, build_model, check_integrity
from cinelake.registry import registry, spark_schema, table
from cinelake.session import apply_local_s3a
from pyspark.sql import functions as F
from trusted_fixtures import csv_line, job_argv, prefix, write_raw_csvs


def rows_df(spark, name: str, rows: list[dict], with_partitions: bool = False):
    """A DataFrame of a registry table from partial rows (absent columns are null)."""
    schema = spark_schema(name, with_partitions=with_partitions)
    df = spark.createDataFrame([tuple(row.get(f.name) for f in schema.fields) for row in rows], schema)
    # Materialized once: every later Spark job reads the cache instead of re-running Python workers.
    df.cache().count()
    return df


def artist(imdb_id, title, name, category="actor", birth=1970, character="Hero", **title_columns):
    """One CSV row: a title-artist pair."""
    return {
        "imdb_id": imdb_id,
        "title": title,
        "original_title": title,
        "artist_name": name,
        "artist_category": category,
        "birth_year": birth,
        "character_name": character,
        "professions": ["actor"] if category == "actor" else ["actress"],
        **title_columns,
    }


MOVIE_ONE = {"release_year": 1994, "runtime_minutes": 120, "genres": ["Drama", "Comedy"], "average_rating": 8.0}
MOVIES = [
    artist("tt0000001", "One", "Ann Lee", "actress", 1960, "Mia", num_votes=1000, **MOVIE_ONE),
    artist("tt0000001", "One", "Bob Roe", "actor", 1955, "Sam", num_votes=1000, **MOVIE_ONE),
    # The same artist playing a second character: one person, two credits.
    artist("tt0000001", "One", "Bob Roe", "actor", 1955, "Sam's twin", num_votes=1000, **MOVIE_ONE),
    # No genres and no artist: the title must still reach the model, under the `Unknown` genre.
    artist("tt0000002", "Two", None, None, None, None, release_year=2001, average_rating=6.0, num_votes=10),
]
SERIES = [
    artist(
        "tt0000003",
        "Three",
        "Cid Moe",
        release_year=2010,
        end_year=2014,
        genres=["Crime"],
        average_rating=9.0,
        num_votes=50,
    ),
]


def tmdb_movie(tmdb_id, imdb_id, dt, popularity, **extra):
    """One Trusted TMDB movie record of a collection day."""
    return {"tmdb_id": tmdb_id, "imdb_id": imdb_id, "dt": dt, "popularity": popularity, "source_file": f"{dt}.json"} | {
        "title": "One (TMDB)",
        "vote_average": 7.5,
        "vote_count": 300,
        **extra,
    }


TMDB_MOVIES = [
    tmdb_movie(10, "tt0000001", "2024-01-01", 1.0, budget=100, revenue=400),
    tmdb_movie(
        10,
        "tt0000001",
        "2024-01-02",
        2.0,
        release_date=date(1994, 3, 4),
        budget=100,
        revenue=300,
        belongs_to_collection=(7, "One Collection"),
        genres=[(18, "Drama"), (53, "Thriller")],
        production_countries=[("US", "United States of America"), ("fr", "France")],
        production_companies=[(5, "Studio Five", "US")],
        cast=[(900, "Ann Lee", "Mia", 1, 0), (901, "Dan Poe", "Extra", 0, 1)],
        crew=[(902, "Eve Doe", "Directing", "Director", 1), (902, "Eve Doe", "Writing", "Writer", 1)],
    ),
    # A TMDB movie whose IMDb id is not among the CSV titles: counted, not modelled.
    tmdb_movie(11, "tt0999999", "2024-01-02", 3.0),
]
TMDB_SERIES = [
    {
        "tmdb_id": 20,
        "imdb_id": "tt0000003",
        "dt": "2024-01-02",
        "name": "Three (TMDB)",
        "first_air_date": date(2010, 9, 1),
        "number_of_seasons": 5,
        "number_of_episodes": 50,
        "episode_run_time": [45],
        "networks": [(5, "Network Five", "GB")],
        "vote_average": 8.0,
        "vote_count": 10,
        "source_file": "s.json",
    }
]


@pytest.fixture(scope="module", autouse=True)
def one_shuffle_partition(spark):
    """A handful of rows needs one task per stage, not four (the shared session's default)."""
    previous = spark.conf.get("spark.sql.shuffle.partitions")
    spark.conf.set("spark.sql.shuffle.partitions", "1")
    yield
    spark.conf.set("spark.sql.shuffle.partitions", previous)


def materialized(built):
    """The model with every table computed once (checks then read the result, not the whole plan again)."""
    built.tables = {name: df.localCheckpoint() for name, df in built.tables.items()}
    return built


@pytest.fixture(scope="module")
def trusted(spark):
    """The four Trusted tables of the crafted example."""
    return (
        rows_df(spark, "trusted_movies", [{k: v for k, v in r.items() if k != "end_year"} for r in MOVIES]),
        rows_df(spark, "trusted_series", SERIES),
        rows_df(spark, "trusted_tmdb_movies", TMDB_MOVIES, with_partitions=True),
        rows_df(spark, "trusted_tmdb_series", TMDB_SERIES, with_partitions=True),
    )


@pytest.fixture(scope="module")
def built(trusted):
    """The model of the crafted example, computed once for the module."""
    return materialized(build_model(*trusted))


def altered(model: Model, **tables) -> Model:
    """A copy of a model with some tables replaced (the shared one stays intact)."""
    return Model(tables={**model.tables, **tables})


@pytest.fixture(scope="module")
def model(built):
    """The model of the crafted example, each table collected once as dicts."""
    return {name: [row.asDict() for row in df.collect()] for name, df in built.tables.items()}


def key(spark, namespace: str, *parts) -> int:
    """The surrogate key the job must give a natural key (computed independently of the model)."""
    return spark.range(1).select(F.xxhash64(F.lit("|".join([namespace, *map(str, parts)])))).first()[0]


def by(rows, column, value):
    """The one row whose column equals value."""
    found = [r for r in rows if r[column] == value]
    assert len(found) == 1, f"{len(found)} rows with {column} = {value!r}"
    return found[0]


def test_one_fact_row_per_title_with_stable_keys(spark, model):
    assert sorted(r["imdb_id"] for r in model["dim_title"]) == ["tt0000001", "tt0000002", "tt0000003"]
    assert len(model["fact_title"]) == 3
    one = by(model["dim_title"], "imdb_id", "tt0000001")
    assert one["title_key"] == key(spark, "title", "tt0000001")
    assert by(model["fact_title"], "title_key", one["title_key"])["imdb_rating"] == 8.0


def test_latest_tmdb_record_enriches_the_title(spark, model):
    one = by(model["dim_title"], "imdb_id", "tt0000001")
    assert (one["tmdb_id"], one["tmdb_dt"], one["collection_name"]) == (10, "2024-01-02", "One Collection")
    fact = by(model["fact_title"], "title_key", one["title_key"])
    assert (fact["tmdb_popularity"], fact["budget"], fact["revenue"], fact["profit"]) == (2.0, 100, 300, 200)
    assert (fact["release_date_key"], fact["tmdb_snapshot_date_key"]) == (19940304, 20240102)
    assert (fact["artist_count"], fact["tmdb_cast_count"]) == (2, 2)


def test_titles_tmdb_does_not_know_still_reach_the_model(model):
    two = by(model["dim_title"], "imdb_id", "tt0000002")
    assert two["is_tmdb_enriched"] is False and two["tmdb_id"] is None and two["decade"] == 2000
    fact = by(model["fact_title"], "title_key", two["title_key"])
    assert fact["budget"] is None and fact["artist_count"] == 0 and fact["tmdb_cast_count"] is None


def test_series_columns(model):
    three = by(model["dim_title"], "imdb_id", "tt0000003")
    assert (three["kind"], three["end_year"], three["decade"]) == ("series", 2014, 2010)
    fact = by(model["fact_title"], "title_key", three["title_key"])
    assert (fact["number_of_seasons"], fact["number_of_episodes"], fact["release_date_key"]) == (5, 50, 20100901)
    assert fact["runtime_minutes"] == 45  # No IMDb runtime: TMDB's first episode runtime.


def test_genres_bridge_has_sources_and_unknown(spark, model):
    names = {r["genre_key"]: r["genre_name"] for r in model["dim_genre"]}
    assert sorted(names.values()) == ["Comedy", "Crime", "Drama", "Thriller", "Unknown"]
    pairs = {(r["title_key"], names[r["genre_key"]], r["source"]) for r in model["bridge_title_genre"]}
    one, two = key(spark, "title", "tt0000001"), key(spark, "title", "tt0000002")
    assert {p for p in pairs if p[0] == one} == {
        (one, "Drama", "imdb"),
        (one, "Comedy", "imdb"),
        (one, "Drama", "tmdb"),
        (one, "Thriller", "tmdb"),
    }
    assert {p for p in pairs if p[0] == two} == {(two, "Unknown", "imdb")}
    assert by(model["dim_genre"], "genre_name", "Drama")["genre_key"] == key(spark, "genre", "drama")


EMPTY_ITEM_GENRES = {"tt0000011": "Drama,", "tt0000012": ",Drama", "tt0000013": "Drama,,Comedy", "tt0000014": ","}


def imdb_genres_by_title(spark, root: str) -> dict[str, list[str]]:
    """The IMDb genres of every title in the written Refined tables (through dim_title, the bridge and dim_genre)."""
    read = {name: spark.read.parquet(root + table(name)["location"]) for name in ("dim_title", "dim_genre")}
    bridge = spark.read.parquet(root + table("bridge_title_genre")["location"]).where("source = 'imdb'")
    joined = bridge.join(read["dim_title"], "title_key").join(read["dim_genre"], "genre_key")
    found: dict[str, list[str]] = {}
    for row in joined.select("imdb_id", "genre_name").collect():
        found.setdefault(row["imdb_id"], []).append(row["genre_name"])
    return {imdb_id: sorted(names) for imdb_id, names in found.items()}


def test_empty_genre_items_give_no_extra_unknown_through_both_jobs(spark, tmp_path):
    """`Drama,` is Drama only; `,` is the real `Unknown` member, exactly once (Raw CSV -> trusted-csv -> refined)."""
    import refined as refined_entry
    import trusted_csv

    movies = [csv_line(id=imdb_id, genero=genres) for imdb_id, genres in EMPTY_ITEM_GENRES.items()]
    write_raw_csvs(tmp_path, "2024-05-04", movies, [csv_line(series=True, id="tt0000015", genero="Crime")])
    root = tmp_path.as_uri() + "/"
    trusted_csv.main(job_argv("trusted-csv", root), spark=spark)
    refined_entry.main(job_argv("refined", root), spark=spark)
    assert imdb_genres_by_title(spark, root) == {
        "tt0000011": ["Drama"],
        "tt0000012": ["Drama"],
        "tt0000013": ["Comedy", "Drama"],
        "tt0000014": ["Unknown"],
        "tt0000015": ["Crime"],
    }
    unknown = spark.read.parquet(root + table("dim_genre")["location"]).where("genre_name = 'Unknown'")
    assert unknown.count() == 1


def test_blank_genre_items_of_an_older_trusted_table_are_not_genres(spark):
    """Trusted written before empty items were dropped may hold `["Drama", ""]`: Refined drops the blank item too."""
    enriched = spark.createDataFrame(
        [(1, ["Drama", ""], None), (2, ["", " "], None), (3, None, None), (4, [], None)],
        "title_key bigint, imdb_genres array<string>, t_genres array<struct<id:int,name:string>>",
    )
    dim, bridge = refined.genres(enriched)
    names = {r["genre_key"]: r["genre_name"] for r in dim.collect()}
    pairs = sorted((r["title_key"], names[r["genre_key"]]) for r in bridge.collect())
    assert pairs == [(1, "Drama"), (2, "Unknown"), (3, "Unknown"), (4, "Unknown")]


def test_persons_kept_apart_by_source(spark, model):
    people = model["dim_person"]
    assert sorted((p["source"], p["name"]) for p in people) == [
        ("imdb", "Ann Lee"),
        ("imdb", "Bob Roe"),
        ("imdb", "Cid Moe"),
        ("tmdb", "Ann Lee"),
        ("tmdb", "Dan Poe"),
        ("tmdb", "Eve Doe"),
    ]
    ann = by([p for p in people if p["source"] == "imdb"], "name", "Ann Lee")
    assert ann["person_key"] == key(spark, "person|imdb", "Ann Lee", 1960) and ann["gender"] == "female"
    assert by(people, "tmdb_person_id", 901)["gender"] == "unknown"
    credits = model["bridge_title_person"]
    bob = [c for c in credits if c["person_key"] == key(spark, "person|imdb", "Bob Roe", 1955)]
    assert sorted(c["character_name"] for c in bob) == ["Sam", "Sam's twin"]
    eve = [c for c in credits if c["person_key"] == key(spark, "person|tmdb", 902)]
    assert sorted((c["role"], c["department"], c["job"]) for c in eve) == [
        ("crew", "Directing", "Director"),
        ("crew", "Writing", "Writer"),
    ]
    assert len(credits) == 3 + 1 + 2 + 2  # CSV credits (Ann, Bob twice, Cid) and TMDB cast and crew.


def test_countries_companies_and_dates(spark, model):
    assert sorted((c["country_code"], c["country_name"]) for c in model["dim_country"]) == [
        ("FR", "France"),
        ("US", "United States of America"),
    ]
    assert len(model["bridge_title_country"]) == 2
    assert sorted((c["company_type"], c["tmdb_company_id"]) for c in model["dim_company"]) == [
        ("network", 5),
        ("production", 5),
    ]
    dates = model["dim_date"]
    assert min(d["date_key"] for d in dates) == 19940101 and max(d["date_key"] for d in dates) == 20241231
    assert len(dates) == (date(2024, 12, 31) - date(1994, 1, 1)).days + 1
    monday = by(dates, "date_key", 20240101)  # 1 January 2024 was a Monday.
    assert (monday["day_of_week"], monday["quarter"], monday["decade"]) == (1, 1, 2020)


def test_as_of_date_uses_the_record_of_that_day(trusted):
    built = build_model(*trusted, as_of="2024-01-01")
    fact = built.tables["fact_title"].join(built.tables["dim_title"], "title_key").where("imdb_id = 'tt0000001'")
    assert [(r["tmdb_popularity"], r["revenue"]) for r in fact.collect()] == [(1.0, 400)]


def test_model_tables_match_the_registry(built):
    refined_names = sorted(t["name"] for t in registry()["tables"] if t["zone"] == "refined")
    assert sorted(built.tables) == refined_names
    for name, df in built.tables.items():
        assert df.schema.simpleString() == spark_schema(name).simpleString(), name


def test_integrity_checks_pass_and_count(built, trusted):
    counts = check_integrity(built, trusted[0], trusted[1])
    assert counts["fact_title"] == 3 and counts["dim_person"] == 6


def test_orphan_key_fails(built, trusted):
    broken = altered(built, dim_genre=built.tables["dim_genre"].where("genre_name != 'Crime'"))
    with pytest.raises(IntegrityError, match=r"bridge_title_genre\.genre_key: keys missing from dim_genre"):
        check_integrity(broken, trusted[0], trusted[1])


def test_duplicate_fact_row_fails(spark, trusted):
    # The same IMDb id in the movies and the series CSV would give one title two fact rows.
    series = trusted[1].unionByName(trusted[0].where("imdb_id = 'tt0000002'").withColumn("end_year", F.lit(None)))
    built = materialized(build_model(trusted[0], series, trusted[2], trusted[3]))
    with pytest.raises(IntegrityError, match=r"fact_title: duplicate primary key \['title_key'\]"):
        check_integrity(built, trusted[0], series)


def test_missing_title_fails(spark, built, trusted):
    three = key(spark, "title", "tt0000003")
    names = ("dim_title", "fact_title", "bridge_title_genre", "bridge_title_person")
    broken = altered(built, **{name: built.tables[name].where(F.col("title_key") != three) for name in names})
    with pytest.raises(
        IntegrityError, match=r"Trusted titles missing from dim_title, e\.g\. \['\{\"imdb_id\":\"tt0000003\"\}'\]"
    ):
        check_integrity(broken, trusted[0], trusted[1])


def write_trusted_lake(trusted, root: str) -> None:
    """Writes the crafted Trusted tables as Parquet laid out like the bucket (TMDB partitioned by dt)."""
    movies, series, tmdb_movies, tmdb_series = trusted
    movies.write.parquet(root + prefix("refined", "trusted_movies"))
    series.write.parquet(root + prefix("refined", "trusted_series"))
    tmdb_movies.write.partitionBy("dt").parquet(root + prefix("refined", "trusted_tmdb_movies"))
    tmdb_series.write.partitionBy("dt").parquet(root + prefix("refined", "trusted_tmdb_series"))


def test_job_end_to_end_through_s3a_against_the_s3_api_server(spark, trusted, s3_server):
    # (On a local folder, the job runs in test_refined_e2e.py on generated data.)
    import boto3
    import refined as entry  # glue/refined.py, the script Glue runs

    bucket = "cinelake-refined-crafted"
    s3 = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1")
    s3.create_bucket(Bucket=bucket)
    root = f"s3a://{bucket}/"
    apply_local_s3a(spark)  # The session's s3a now reaches the server (the job does the same).
    write_trusted_lake(trusted, root)
    report = entry.main(job_argv("refined", root), spark=spark)

    assert report["integrity_checks"] == "passed"
    assert report["inputs"]["trusted_titles"] == 3
    assert (report["inputs"]["tmdb_ids_read"], report["inputs"]["titles_enriched"]) == (3, 2)
    key = report["report_uri"].removeprefix(root)
    written = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    assert written["tables"] == report["tables"]
    for name in refined.REFINED_TABLE_NAMES:
        parquet = spark.read.parquet(root + table(name)["location"])
        assert parquet.schema.simpleString() == spark_schema(name).simpleString(), name
        assert parquet.count() == report["tables"][name], name


def test_job_refuses_a_lake_without_trusted_titles(spark, tmp_path):
    import refined as entry

    with pytest.raises(SystemExit, match="trusted_movies: no Parquet under .*run the trusted-csv job first") as stopped:
        entry.main(job_argv("refined", tmp_path.as_uri() + "/"), spark=spark)
    assert isinstance(stopped.value.__cause__, UpstreamMissingError)
