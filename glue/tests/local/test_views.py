"""Known-answer tests of the analysis views: the registry's Athena SQL, translated for DuckDB, over a tiny crafted
Refined dataset whose answers were computed by hand (below, next to each test)."""

from datetime import date

import duckdb
import pytest
from cinelake.registry import registry, table
from local.catalog import duckdb_type, quote, view_sql
from sqlglot import exp

M = 500  # The prior weight of the Bayesian rating, as docs/data-model.md states it.

TITLES = [
    # title_key, imdb_id, kind, title, release_year, end_year, decade, enriched, collection_id
    (1, "tt1", "movie", "Alpha", 1994, None, 1990, True, 7),
    (2, "tt2", "movie", "Beta", 1999, None, 1990, True, None),
    (3, "tt3", "movie", "Gamma", 2001, None, 2000, False, None),
    (4, "tt4", "series", "Delta", 2010, 2014, 2010, True, None),
    (5, "tt5", "series", "Eps", 2018, None, 2010, False, None),
]
FACTS = [
    # title_key, imdb_rating, imdb_votes, tmdb_vote_average, tmdb_vote_count, budget, revenue, seasons, episodes,
    # artist_count
    (1, 8.0, 1500, 7.5, 300, 100, 300, None, None, 2),
    (2, 6.0, 500, 6.5, 20, 50, None, None, None, 1),
    (3, 7.0, 100, None, None, None, None, None, None, 0),
    (4, 9.0, 500, 8.0, 10, None, None, 5, 50, 1),
    (5, None, None, None, None, None, None, None, None, 0),
]
GENRES = [(10, "Drama"), (11, "Comedy"), (12, "Unknown"), (13, "Thriller")]
TITLE_GENRES = [(1, 10, "imdb"), (1, 11, "imdb"), (1, 13, "tmdb"), (2, 10, "imdb"), (3, 12, "imdb")]
TITLE_GENRES += [(4, 10, "imdb"), (5, 10, "imdb")]
PERSONS = [(100, "imdb", "female"), (101, "imdb", "male"), (102, "imdb", "male"), (103, "imdb", "female")]
PERSONS += [(200, "tmdb", "female"), (201, "tmdb", "unknown"), (202, "tmdb", "male")]
CREDITS = [
    # title_key, person_key, source, role, character_name, job, gender
    (1, 100, "imdb", "cast", "Mia", None, "female"),
    (1, 100, "imdb", "cast", "Mia's twin", None, "female"),
    (1, 101, "imdb", "cast", "Sam", None, "male"),
    (1, 200, "tmdb", "cast", "Mia", None, "female"),
    (1, 201, "tmdb", "cast", "Extra", None, "unknown"),
    (1, 202, "tmdb", "crew", None, "Director", "male"),
    (2, 102, "imdb", "cast", "Bo", None, "male"),
    (4, 103, "imdb", "cast", "Di", None, "female"),
]
COUNTRIES = [(20, "US", "United States of America"), (21, "FR", "France"), (22, "GB", "United Kingdom")]
TITLE_COUNTRIES = [(1, 20), (1, 21), (2, 20), (4, 22)]


def insert(con, name: str, columns: list[str], rows: list[tuple]) -> None:
    """Inserts rows into the named columns of a registry table (the others stay null)."""
    placeholders = ", ".join("?" for _ in columns)
    con.executemany(f"INSERT INTO {name} ({', '.join(map(quote, columns))}) VALUES ({placeholders})", rows)


@pytest.fixture(scope="module")
def con():
    """An in-memory DuckDB with the Refined tables (registry types), the crafted rows and every analysis view."""
    connection = duckdb.connect()
    for definition in registry()["tables"]:
        if definition["zone"] == "refined":
            columns = ", ".join(f"{quote(c['name'])} {duckdb_type(c['type'])}" for c in definition["columns"])
            connection.execute(f"CREATE TABLE {definition['name']} ({columns})")
    title_columns = ["title_key", "imdb_id", "kind", "title", "release_year", "end_year", "decade"]
    insert(connection, "dim_title", [*title_columns, "is_tmdb_enriched", "collection_id"], TITLES)
    fact_columns = ["title_key", "imdb_rating", "imdb_votes", "tmdb_vote_average", "tmdb_vote_count", "budget"]
    fact_columns += ["revenue", "number_of_seasons", "number_of_episodes", "artist_count"]
    insert(connection, "fact_title", fact_columns, FACTS)
    insert(connection, "dim_genre", ["genre_key", "genre_name"], GENRES)
    insert(connection, "bridge_title_genre", ["title_key", "genre_key", "source"], TITLE_GENRES)
    insert(connection, "dim_person", ["person_key", "source", "gender"], PERSONS)
    credit_columns = ["title_key", "person_key", "source", "role", "character_name", "job", "gender"]
    insert(connection, "bridge_title_person", credit_columns, CREDITS)
    insert(connection, "dim_country", ["country_key", "country_code", "country_name"], COUNTRIES)
    insert(connection, "bridge_title_country", ["title_key", "country_key"], TITLE_COUNTRIES)
    for view in registry()["views"]:
        connection.execute(f"CREATE VIEW {view['name']} AS {view_sql(view)}")
    yield connection
    connection.close()


def rows(con, view: str, columns: list[str]) -> list[tuple]:
    """The view's rows projected on some columns, floats rounded, sorted (nulls first)."""
    result = con.execute(f"SELECT {', '.join(map(quote, columns))} FROM {view}").fetchall()
    rounded = [tuple(round(v, 9) if isinstance(v, float) else v for v in row) for row in result]
    return sorted(rounded, key=lambda row: tuple((v is not None, v) for v in row))


# Bayesian weighted rating (v*R + m*C) / (v + m), m = 500, C = mean rating of the kind's rated titles:
# movies C = (8 + 6 + 7) / 3 = 7; series C = 9 (title 5 is unrated).
WR = {
    1: (1500 * 8.0 + M * 7.0) / (1500 + M),  # 7.75
    2: (500 * 6.0 + M * 7.0) / (500 + M),  # 6.5
    3: (100 * 7.0 + M * 7.0) / (100 + M),  # 7.0
    4: (500 * 9.0 + M * 9.0) / (500 + M),  # 9.0
    5: None,
}


def test_every_view_has_the_registry_columns_and_types(con):
    for view in registry()["views"]:
        described = con.execute(f"DESCRIBE {view['name']}").fetchall()
        assert [r[0] for r in described] == [c["name"] for c in view["columns"]], view["name"]
        actual = [exp.DataType.build(r[1], dialect="duckdb").sql("duckdb") for r in described]
        assert actual == [duckdb_type(c["type"]) for c in view["columns"]], view["name"]


def test_weighted_rating_values():
    assert (WR[1], WR[2], WR[3], WR[4]) == (7.75, 6.5, 7.0, 9.0)


def test_title_summary(con):
    expected = [
        ("movie", "Comedy", 1990, 1, "Alpha", 8.0, 1500, WR[1], True, 2),
        ("movie", "Drama", 1990, 1, "Alpha", 8.0, 1500, WR[1], True, 2),
        ("movie", "Drama", 1990, 2, "Beta", 6.0, 500, WR[2], True, 1),
        ("movie", "Unknown", 2000, 3, "Gamma", 7.0, 100, WR[3], False, 0),
        ("series", "Drama", 2010, 4, "Delta", 9.0, 500, WR[4], True, 1),
        ("series", "Drama", 2010, 5, "Eps", None, None, None, False, 0),
    ]
    columns = ["kind", "genre", "decade", "title_key", "title", "imdb_rating", "imdb_votes", "weighted_rating"]
    assert rows(con, "v_title_summary", [*columns, "is_tmdb_enriched", "artist_count"]) == sorted(
        expected, key=lambda row: tuple((v is not None, v) for v in row)
    )


def test_title_artists_counts_csv_artists_once_per_genre(con):
    assert rows(con, "v_title_artists", ["genre", "title_key", "person_key"]) == [
        ("Comedy", 1, 100),
        ("Comedy", 1, 101),
        ("Drama", 1, 100),
        ("Drama", 1, 101),
        ("Drama", 2, 102),
        ("Drama", 4, 103),
    ]


def test_top_titles_rank_by_weighted_rating(con):
    assert rows(con, "v_top_titles_by_genre_decade", ["kind", "genre", "decade", "title_key", "rank_in_group"]) == [
        ("movie", "Comedy", 1990, 1, 1),
        ("movie", "Drama", 1990, 1, 1),
        ("movie", "Drama", 1990, 2, 2),
        ("movie", "Unknown", 2000, 3, 1),
        ("series", "Drama", 2010, 4, 1),
    ]


def test_rating_agreement(con):
    columns = ["genre", "title_key", "imdb_rating", "tmdb_vote_average", "rating_gap"]
    assert rows(con, "v_rating_agreement", columns) == [
        ("Comedy", 1, 8.0, 7.5, -0.5),
        ("Drama", 1, 8.0, 7.5, -0.5),
        ("Drama", 2, 6.0, 6.5, 0.5),
        ("Drama", 4, 9.0, 8.0, -1.0),
    ]


def test_financials_exclude_unknown_amounts(con):
    assert rows(con, "v_financials", ["genre", "title_key", "budget", "revenue", "profit", "return_ratio"]) == [
        ("Comedy", 1, 100, 300, 200, 3.0),
        ("Drama", 1, 100, 300, 200, 3.0),
    ]


def test_franchise_vs_standalone_covers_enriched_movies(con):
    assert rows(con, "v_franchise_vs_standalone", ["genre", "title_key", "is_franchise", "revenue"]) == [
        ("Comedy", 1, True, 300),
        ("Drama", 1, True, 300),
        ("Drama", 2, False, None),
    ]


def test_cast_gender_share_prefers_tmdb_cast(con):
    # Title 1 has TMDB cast, so its CSV credits (Mia twice, Sam) are not counted; titles 2 and 4 use the CSV.
    assert rows(con, "v_cast_gender_share", ["kind", "genre", "decade", "gender", "credits"]) == [
        ("movie", "Comedy", 1990, "female", 1),
        ("movie", "Comedy", 1990, "unknown", 1),
        ("movie", "Drama", 1990, "female", 1),
        ("movie", "Drama", 1990, "male", 1),
        ("movie", "Drama", 1990, "unknown", 1),
        ("series", "Drama", 2010, "female", 1),
    ]


def test_series_longevity(con):
    running = date.today().year - 2018 + 1
    assert rows(con, "v_series_longevity", ["title_key", "years_running", "seasons", "episodes", "imdb_rating"]) == [
        (4, 5, 5, 50, 9.0),
        (5, running, None, None, None),
    ]


def test_countries_over_time(con):
    assert rows(con, "v_countries_over_time", ["kind", "genre", "decade", "country_code", "titles"]) == [
        ("movie", "Comedy", 1990, "FR", 1),
        ("movie", "Comedy", 1990, "US", 1),
        ("movie", "Drama", 1990, "FR", 1),
        ("movie", "Drama", 1990, "US", 2),
        ("series", "Drama", 2010, "GB", 1),
    ]


def test_view_columns_start_with_the_dashboard_filters():
    for view in registry()["views"]:
        assert [c["name"] for c in view["columns"][:3]] == ["kind", "genre", "decade"], view["name"]
    assert table("fact_title")["primaryKey"] == ["title_key"]


def test_top_titles_keep_the_best_ten_of_a_group():
    # Twelve dramas of the 1990s with 1000 votes each, rated 5.0 .. 10.0 in steps of ~0.45: ranks follow the rating,
    # and only the ten best survive (C = mean of the twelve; with equal votes the order of R is the order of WR).
    con = duckdb.connect()
    for definition in registry()["tables"]:
        if definition["zone"] == "refined":
            columns = ", ".join(f"{quote(c['name'])} {duckdb_type(c['type'])}" for c in definition["columns"])
            con.execute(f"CREATE TABLE {definition['name']} ({columns})")
    ratings = {key: 5.0 + (key - 1) * 5.0 / 11 for key in range(1, 13)}
    insert(con, "dim_title", ["title_key", "kind", "decade"], [(k, "movie", 1990) for k in ratings])
    insert(con, "fact_title", ["title_key", "imdb_rating", "imdb_votes"], [(k, r, 1000) for k, r in ratings.items()])
    insert(con, "dim_genre", ["genre_key", "genre_name"], [(10, "Drama")])
    insert(con, "bridge_title_genre", ["title_key", "genre_key", "source"], [(k, 10, "imdb") for k in ratings])
    view = next(v for v in registry()["views"] if v["name"] == "v_top_titles_by_genre_decade")
    ranked = con.execute(f"SELECT title_key, rank_in_group FROM ({view_sql(view)}) ORDER BY 2").fetchall()
    assert ranked == [(12 - i, i + 1) for i in range(10)]
