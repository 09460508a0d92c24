"""The Refined job's pure transforms (cinelake.refined.transforms) on the crafted Trusted rows, and every
integrity failure."""

from datetime import date

import pytest
from cinelake.refined import transforms
from cinelake.refined.transforms import IntegrityError, Model, build_model, check_integrity
from cinelake.registry import registry, spark_schema
from pyspark.sql import functions as F


def materialized(built):
    """The model with every table computed once (checks then read the result, not the whole plan again), as the job
    reads its staged tables back."""
    built.tables = {name: df.localCheckpoint() for name, df in built.tables.items()}
    built.release()
    return built


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


def test_blank_genre_items_of_an_older_trusted_table_are_not_genres(spark):
    """Trusted written before empty items were dropped may hold `["Drama", ""]`: Refined drops the blank item too."""
    titles = spark.createDataFrame(
        [(1, ["Drama", ""]), (2, ["", " "]), (3, None), (4, [])], "title_key bigint, imdb_genres array<string>"
    )
    tmdb = spark.createDataFrame([], "title_key bigint, genres array<struct<id:int,name:string>>")
    dim, bridge = transforms.genres(titles, tmdb)
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


def test_a_null_foreign_key_is_no_reference(built, trusted):
    # A title without a release date has no release_date_key: nothing is referenced, so nothing can be missing.
    fact = built.tables["fact_title"].withColumn("release_date_key", F.lit(None).cast("int"))
    counts = check_integrity(altered(built, fact_title=fact), trusted[0], trusted[1])
    assert counts["fact_title"] == 3


def test_a_null_key_holds_no_reference(built, trusted):
    # A Trusted title without an IMDb id is not "found" in dim_title by a dim_title row without one either.
    three = F.col("imdb_id") == "tt0000003"
    movies, series, dim_title = (
        df.withColumn("imdb_id", F.when(three, F.lit(None)).otherwise(F.col("imdb_id")))
        for df in (trusted[0], trusted[1], built.tables["dim_title"])
    )
    with pytest.raises(IntegrityError, match=r"Trusted titles missing from dim_title, e\.g\. \['\{\}'\]"):
        check_integrity(altered(built, dim_title=dim_title), movies, series)


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


def test_the_fast_checks_flag_what_the_exact_ones_find(built, trusted):
    # The one-job pass (hashed primary keys, broadcast anti joins) must flag a duplicate and an orphan by itself:
    # only then does check_integrity ask check_integrity_exactly for the offending keys.
    fact = built.tables["fact_title"]
    duplicated = altered(
        built,
        fact_title=fact.unionByName(fact.limit(1)),
        dim_genre=built.tables["dim_genre"].where("genre_name != 'Crime'"),
    )
    checks, _ = transforms._integrity_checks(duplicated, trusted[0], trusted[1])
    duplicates, pk_ids = transforms._duplicate_keys([side for side in checks if side[0].primary_key])
    missing, ref_ids = transforms._missing_references([side for side in checks if not side[0].primary_key], 100)
    flagged = {r["check"]: r["broken"] for r in duplicates.unionByName(missing).collect() if r["broken"]}
    crime_titles = built.tables["bridge_title_genre"].join(
        built.tables["dim_genre"].where("genre_name = 'Crime'"), "genre_key"
    )
    assert flagged == {
        pk_ids["fact_title: duplicate primary key ['title_key']"]: 1,
        ref_ids["bridge_title_genre.genre_key: keys missing from dim_genre.genre_key"]: crime_titles.count(),
    }
    assert transforms.check_integrity_exactly(built, trusted[0], trusted[1]) == check_integrity(
        built, trusted[0], trusted[1]
    )


def test_a_key_hashed_with_its_nulls(spark):
    # Spark's hashes skip nulls: (null, "x") and ("x", null) must still be two keys; an int and a bigint one key.
    check = transforms._Check("t", {"a": "s0", "b": "s1"}, True)
    rows = spark.createDataFrame([(None, "x"), ("x", None)], "a string, b string")
    hashes = rows.select(*transforms._hashed_key(check, ["a", "b"])).collect()
    assert hashes[0] != hashes[1]
    ints = spark.createDataFrame([(7, 7)], "i int, l bigint")
    one = transforms._Check("k", {"k": "l0"}, True)
    assert (
        ints.select(*transforms._hashed_key(one, ["i"])).first()
        == ints.select(*transforms._hashed_key(one, ["l"])).first()
    )


def test_a_hash_collision_is_cleared_by_the_exact_checks(built, trusted, monkeypatch):
    # Every key hashing alike makes every table look like one duplicated key: the exact checks clear it, and the row
    # counts are those of the keys themselves.
    monkeypatch.setattr(transforms, "_hashed_key", lambda check, columns: [F.lit(1).alias("h1"), F.lit(2).alias("h2")])
    expected = transforms.check_integrity_exactly(built, trusted[0], trusted[1])
    assert check_integrity(built, trusted[0], trusted[1]) == expected
    assert expected["fact_title"] == 3
