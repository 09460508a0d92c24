"""DuckDB building the Refined model in SQL, for bench/refined (not part of the lake: the product is the Spark job).

Usage: python3 bench/refined/duckdb_refined.py LAKE_DIR OUT_DIR. Reads the lake folder's Trusted Parquet, builds the
same eleven tables with the same rules as glue/cinelake/refined/transforms.py (latest TMDB record per id, CSV titles as
the catalog, `Unknown` genre, persons apart by source, bridges deduplicated), writes each as Parquet under OUT_DIR and
prints the row counts and the wall time as JSON. Keys use DuckDB's hash() of the same namespaced strings (a different
hash function than Spark's xxhash64, so key values differ; counts and shapes must not).
"""

import json
import sys
import time
from pathlib import Path

import duckdb

GLUE = Path(__file__).resolve().parents[2] / "glue"
sys.path.insert(0, str(GLUE))

from cinelake.registry import registry, table  # noqa: E402  (the registry gives locations and column order)


def key(*parts: str) -> str:
    """A signed 64-bit key from DuckDB's hash of the namespaced natural key (nulls spelled as '')."""
    joined = " || '|' || ".join(f"coalesce(CAST({p} AS VARCHAR), '')" for p in parts[1:])
    return f"CAST(hash('{parts[0]}|' || {joined}) & 9223372036854775807 AS BIGINT)"


def parquet(lake: Path, name: str, hive: bool = False) -> str:
    folder = (lake / table(name)["location"]).resolve()
    if not any(folder.rglob("*.parquet")):
        raise FileNotFoundError(f"{name}: no Parquet under {folder}")
    options = ", hive_partitioning = true, hive_types = {'dt': VARCHAR}" if hive else ""
    return f"read_parquet('{folder}/**/*.parquet'{options})"


def gender(code: str) -> str:
    return f"CASE {code} WHEN 1 THEN 'female' WHEN 2 THEN 'male' WHEN 3 THEN 'non-binary' ELSE 'unknown' END"


def category(column: str) -> str:
    return f"CASE lower({column}) WHEN 'actress' THEN 'female' WHEN 'actor' THEN 'male' ELSE 'unknown' END"


def build(con, lake: Path) -> None:
    """Creates the model's tables (and its intermediates) in the connection."""
    person = key("person|imdb", "artist_name", "birth_year")
    con.execute(f"""
        CREATE TEMP TABLE credits AS
        SELECT *, {key("title", "imdb_id")} AS title_key,
               CASE WHEN artist_name IS NOT NULL THEN {person} END AS person_key
        FROM (
          SELECT *, 'movie' AS kind, CAST(NULL AS INTEGER) AS end_year FROM {parquet(lake, "trusted_movies")}
          UNION ALL BY NAME
          SELECT *, 'series' AS kind FROM {parquet(lake, "trusted_series")}
        )""")
    con.execute("""
        CREATE TEMP TABLE titles AS
        SELECT title_key, imdb_id, kind, max(title) AS title, max(original_title) AS original_title,
               max(release_year) AS csv_release_year, max(end_year) AS end_year, max(runtime_minutes) AS csv_runtime,
               max(genres) AS imdb_genres, max(average_rating) AS imdb_rating, max(num_votes) AS imdb_votes,
               CAST(count(DISTINCT person_key) AS INTEGER) AS artist_count
        FROM credits GROUP BY title_key, imdb_id, kind""")
    common = (
        "tmdb_id, imdb_id, original_language, status, popularity, vote_average, vote_count, genres, "
        'production_companies, production_countries, "cast", crew, dt, source_file'
    )
    con.execute(f"""
        CREATE TEMP TABLE tmdb AS
        WITH shaped AS (
          SELECT {common}, 'movie' AS kind, title AS tmdb_title, release_date, runtime AS tmdb_runtime, budget, revenue,
                 belongs_to_collection.id AS collection_id, belongs_to_collection.name AS collection_name,
                 CAST(NULL AS VARCHAR) AS series_type, CAST(NULL AS BOOLEAN) AS in_production,
                 CAST(NULL AS INTEGER) AS number_of_seasons, CAST(NULL AS INTEGER) AS number_of_episodes,
                 CAST(NULL AS STRUCT(id INTEGER, name VARCHAR, origin_country VARCHAR)[]) AS networks
          FROM {parquet(lake, "trusted_tmdb_movies", hive=True)}
          UNION ALL BY NAME
          SELECT {common}, 'series' AS kind, name AS tmdb_title, first_air_date AS release_date,
                 episode_run_time[1] AS tmdb_runtime, NULL AS budget, NULL AS revenue, NULL AS collection_id,
                 NULL AS collection_name, type AS series_type, in_production, number_of_seasons, number_of_episodes,
                 networks
          FROM {parquet(lake, "trusted_tmdb_series", hive=True)}
        ),
        newest AS (
          SELECT * FROM shaped
          QUALIFY row_number() OVER (PARTITION BY kind, tmdb_id ORDER BY dt DESC, source_file DESC) = 1
        )
        SELECT * FROM newest WHERE imdb_id IS NOT NULL
        QUALIFY row_number() OVER (
          PARTITION BY kind, imdb_id ORDER BY dt DESC, vote_count DESC NULLS LAST, tmdb_id) = 1""")
    con.execute("""
        CREATE TEMP TABLE enriched AS
        SELECT t.*, m.tmdb_id AS t_tmdb_id, m.tmdb_title, m.release_date, m.tmdb_runtime, m.budget, m.revenue,
               m.collection_id, m.collection_name, m.series_type, m.in_production, m.number_of_seasons,
               m.number_of_episodes, m.networks, m.original_language, m.status, m.popularity, m.vote_average,
               m.vote_count, m.genres AS t_genres, m.production_companies, m.production_countries, m."cast",
               m.crew, m.dt, m.tmdb_id IS NOT NULL AS is_tmdb_enriched
        FROM titles t LEFT JOIN tmdb m ON m.kind = t.kind AND m.imdb_id = t.imdb_id""")
    release_year = "coalesce(csv_release_year, year(release_date))"
    con.execute(f"""
        CREATE TABLE dim_title AS
        SELECT title_key, imdb_id, kind, title, original_title, {release_year} AS release_year, end_year,
               CAST(floor({release_year} / 10) * 10 AS INTEGER) AS decade, t_tmdb_id AS tmdb_id, tmdb_title,
               original_language, status, collection_id, collection_name, series_type, in_production,
               is_tmdb_enriched, dt AS tmdb_dt
        FROM enriched""")
    con.execute("""
        CREATE TABLE fact_title AS
        SELECT title_key, CAST(strftime(release_date, '%Y%m%d') AS INTEGER) AS release_date_key,
               CAST(replace(dt, '-', '') AS INTEGER) AS tmdb_snapshot_date_key, imdb_rating, imdb_votes,
               popularity AS tmdb_popularity, vote_average AS tmdb_vote_average, vote_count AS tmdb_vote_count,
               CASE WHEN budget > 0 THEN budget END AS budget, CASE WHEN revenue > 0 THEN revenue END AS revenue,
               CASE WHEN budget > 0 AND revenue > 0 THEN revenue - budget END AS profit,
               coalesce(csv_runtime, tmdb_runtime) AS runtime_minutes, number_of_seasons, number_of_episodes,
               artist_count,
               CASE WHEN is_tmdb_enriched THEN CAST(len(list_distinct(coalesce(list_transform("cast", c -> c.id), [])))
                    AS INTEGER) END AS tmdb_cast_count
        FROM enriched""")
    con.execute("""
        CREATE TABLE dim_date AS
        WITH years AS (
          SELECT release_year AS y FROM dim_title
          UNION ALL SELECT release_date_key // 10000 FROM fact_title
          UNION ALL SELECT tmdb_snapshot_date_key // 10000 FROM fact_title
        ),
        days AS (
          SELECT unnest(generate_series(make_date(min(y), 1, 1), make_date(max(y), 12, 31), INTERVAL 1 DAY))::DATE
                 AS date
          FROM years HAVING min(y) IS NOT NULL
        )
        SELECT CAST(strftime(date, '%Y%m%d') AS INTEGER) AS date_key, date, year(date) AS year,
               quarter(date) AS quarter, month(date) AS month, day(date) AS day, isodow(date) AS day_of_week,
               CAST(floor(year(date) / 10) * 10 AS INTEGER) AS decade
        FROM days""")
    con.execute(f"""
        CREATE TEMP TABLE genre_pairs AS
        WITH imdb AS (
          SELECT title_key, coalesce(nullif(trim(g), ''), 'Unknown') AS genre_name, 'imdb' AS source
          FROM (SELECT title_key, unnest(CASE WHEN len(imdb_genres) > 0 THEN imdb_genres ELSE [NULL] END) AS g
                FROM enriched)
        ),
        tmdb AS (
          SELECT title_key, g.name AS genre_name, 'tmdb' AS source
          FROM (SELECT title_key, unnest(t_genres) AS g FROM enriched) WHERE trim(g.name) <> ''
        )
        SELECT *, {key("genre", "lower(trim(genre_name))")} AS genre_key FROM (SELECT * FROM imdb UNION ALL
          SELECT * FROM tmdb)""")
    con.execute(
        "CREATE TABLE dim_genre AS SELECT genre_key, min(trim(genre_name)) AS genre_name FROM genre_pairs "
        "GROUP BY genre_key"
    )
    con.execute("CREATE TABLE bridge_title_genre AS SELECT DISTINCT title_key, genre_key, source FROM genre_pairs")
    tmdb_person = key("person|tmdb", "p.id")
    con.execute(f"""
        CREATE TEMP TABLE tmdb_credits AS
        SELECT title_key, {tmdb_person} AS person_key, p.id AS tmdb_person_id, p.name AS name, p.gender AS gender_code,
               'tmdb' AS source, 'cast' AS role, p.character AS character_name, 'Acting' AS department,
               CAST(NULL AS VARCHAR) AS job, p."order" AS cast_order, {gender("p.gender")} AS gender
        FROM (SELECT title_key, unnest("cast") AS p FROM enriched)
        UNION ALL
        SELECT title_key, {tmdb_person}, p.id, p.name, p.gender, 'tmdb', 'crew', NULL, p.department, p.job, NULL,
               {gender("p.gender")}
        FROM (SELECT title_key, unnest(crew) AS p FROM enriched)""")
    con.execute(f"""
        CREATE TABLE dim_person AS
        SELECT person_key, 'imdb' AS source, CAST(NULL AS INTEGER) AS tmdb_person_id, max(artist_name) AS name,
               max(birth_year) AS birth_year, max(death_year) AS death_year,
               max({category("artist_category")}) AS gender, max(professions) AS professions,
               max(known_for_titles) AS known_for_titles
        FROM credits WHERE artist_name IS NOT NULL GROUP BY person_key
        UNION ALL
        SELECT person_key, 'tmdb', max(tmdb_person_id), max(name), NULL, NULL, {gender("max(gender_code)")}, NULL,
               NULL
        FROM tmdb_credits WHERE tmdb_person_id IS NOT NULL GROUP BY person_key""")
    con.execute(f"""
        CREATE TABLE bridge_title_person AS
        SELECT title_key, person_key, max(source) AS source, role, character_name, max(department) AS department,
               job, min(cast_order) AS cast_order, max(gender) AS gender
        FROM (
          SELECT title_key, person_key, 'imdb' AS source, 'cast' AS role, character_name, 'Acting' AS department,
                 CAST(NULL AS VARCHAR) AS job, CAST(NULL AS INTEGER) AS cast_order,
                 {category("artist_category")} AS gender
          FROM credits WHERE artist_name IS NOT NULL
          UNION ALL
          SELECT title_key, person_key, source, role, character_name, department, job, cast_order, gender
          FROM tmdb_credits WHERE tmdb_person_id IS NOT NULL
        )
        GROUP BY title_key, person_key, role, character_name, job""")
    con.execute(f"""
        CREATE TEMP TABLE country_pairs AS
        SELECT title_key, upper(trim(c.iso_3166_1)) AS country_code, c.name AS name,
               {key("country", "upper(trim(c.iso_3166_1))")} AS country_key
        FROM (SELECT title_key, unnest(production_countries) AS c FROM enriched)
        WHERE coalesce(trim(c.iso_3166_1), '') <> ''""")
    con.execute(
        "CREATE TABLE dim_country AS SELECT country_key, max(country_code) AS country_code, "
        "max(name) AS country_name FROM country_pairs GROUP BY country_key"
    )
    con.execute("CREATE TABLE bridge_title_country AS SELECT DISTINCT title_key, country_key FROM country_pairs")
    con.execute(f"""
        CREATE TEMP TABLE company_pairs AS
        SELECT *, {key("company", "company_type", "tmdb_company_id")} AS company_key FROM (
          SELECT title_key, 'production' AS company_type, c.id AS tmdb_company_id, c.name AS company_name,
                 nullif(trim(c.origin_country), '') AS origin_country
          FROM (SELECT title_key, unnest(production_companies) AS c FROM enriched)
          UNION ALL
          SELECT title_key, 'network', c.id, c.name, nullif(trim(c.origin_country), '')
          FROM (SELECT title_key, unnest(networks) AS c FROM enriched)
        ) WHERE tmdb_company_id IS NOT NULL""")
    con.execute("""
        CREATE TABLE dim_company AS
        SELECT company_key, max(company_type) AS company_type, max(tmdb_company_id) AS tmdb_company_id,
               max(company_name) AS company_name, max(origin_country) AS origin_country
        FROM company_pairs GROUP BY company_key""")
    con.execute("CREATE TABLE bridge_title_company AS SELECT DISTINCT title_key, company_key FROM company_pairs")


def main() -> None:
    lake, out = Path(sys.argv[1]), Path(sys.argv[2])
    started = time.perf_counter()
    con = duckdb.connect()
    build(con, lake)
    counts = {}
    for definition in registry()["tables"]:
        if definition["zone"] != "refined":
            continue
        name = definition["name"]
        target = out / name
        target.mkdir(parents=True, exist_ok=True)
        columns = ", ".join(f'"{c["name"]}"' for c in definition["columns"])
        con.execute(f"COPY (SELECT {columns} FROM {name}) TO '{target / 'part-0.parquet'}' (FORMAT parquet)")
        counts[name] = con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
    print(json.dumps({"tables": counts, "seconds": round(time.perf_counter() - started, 3)}))


if __name__ == "__main__":
    main()
