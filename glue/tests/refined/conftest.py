"""The Refined tests' crafted Trusted tables: a handful of rows covering every rule, as module fixtures."""

from datetime import date

import pytest
from cinelake.registry import spark_schema


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


@pytest.fixture(scope="module")
def trusted(spark):
    """The four Trusted tables of the crafted example."""
    return (
        rows_df(spark, "trusted_movies", [{k: v for k, v in r.items() if k != "end_year"} for r in MOVIES]),
        rows_df(spark, "trusted_series", SERIES),
        rows_df(spark, "trusted_tmdb_movies", TMDB_MOVIES, with_partitions=True),
        rows_df(spark, "trusted_tmdb_series", TMDB_SERIES, with_partitions=True),
    )
