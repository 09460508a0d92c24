"""The local DuckDB catalog: views over a lake folder's Parquet (Hive partitions included) and the analysis views."""

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import sqlglot
from cinelake.registry import registry
from local.catalog import CatalogError, build_catalog, default_out, duckdb_type, quote

from tests.local.test_views import con as crafted_refined  # noqa: F401  (the crafted Refined tables, reused as a fixture)

GLUE_DIR = Path(__file__).resolve().parents[2]


def write_table(con, definition: dict, lake_dir, select_sql: str) -> None:
    """Writes a SELECT as Parquet under the table's location (partitioned by its partition keys, if any)."""
    target = lake_dir / definition["location"]
    target.mkdir(parents=True, exist_ok=True)
    keys = [c["name"] for c in definition["partitionKeys"]]
    if keys:
        con.execute(f"COPY ({select_sql}) TO '{target}' (FORMAT parquet, PARTITION_BY ({', '.join(keys)}))")
    else:
        con.execute(f"COPY ({select_sql}) TO '{target / 'part-0.parquet'}' (FORMAT parquet)")


@pytest.fixture(scope="module")
def lake(tmp_path_factory, crafted_refined):  # noqa: F811
    """A lake folder: the crafted Refined tables, two Trusted movies rows and TMDB movies on two days."""
    root = tmp_path_factory.mktemp("catalog") / "lake"
    tables = {t["name"]: t for t in registry()["tables"]}
    for name, definition in tables.items():
        if definition["zone"] == "refined":
            write_table(crafted_refined, definition, root, f"SELECT * FROM {name}")
    movie = ", ".join(
        f"CAST({value} AS {duckdb_type(c['type'])}) AS {quote(c['name'])}"
        for c in tables["trusted_movies"]["columns"]
        for value in [{"imdb_id": "'tt1'", "title": "'Alpha'", "genres": "['Drama']"}.get(c["name"], "NULL")]
    )
    write_table(crafted_refined, tables["trusted_movies"], root, f"SELECT {movie} UNION ALL SELECT {movie}")
    tmdb = tables["trusted_tmdb_movies"]
    values = {"tmdb_id": "10", "imdb_id": "'tt1'", "budget": "100"}
    columns = ", ".join(
        f"CAST({values.get(c['name'], 'NULL')} AS {duckdb_type(c['type'])}) AS {quote(c['name'])}"
        for c in tmdb["columns"]
    )
    write_table(
        crafted_refined, tmdb, root, f"SELECT {columns}, dt FROM (VALUES ('2024-01-01'), ('2024-01-02')) AS d(dt)"
    )
    return root


@pytest.fixture(scope="module")
def catalog(lake):
    """The catalog file built for the lake folder, opened read-only."""
    path = build_catalog(lake)
    connection = duckdb.connect(str(path), read_only=True)
    yield path, connection
    connection.close()


def test_default_location_is_next_to_the_lake(lake, catalog):
    path, _ = catalog
    assert path == default_out(lake) == lake.parent / "catalog.duckdb"
    assert path.exists() and not path.with_name("catalog.duckdb.partial").exists()


def test_every_registry_table_and_view_is_in_the_catalog(catalog):
    _, con = catalog
    views = {row[0] for row in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
    reg = registry()
    assert views == {t["name"] for t in reg["tables"]} | {v["name"] for v in reg["views"]}
    for definition in reg["tables"]:
        described = con.execute(f"DESCRIBE {definition['name']}").fetchall()
        expected = definition["columns"] + definition["partitionKeys"]
        assert [r[0] for r in described] == [c["name"] for c in expected], definition["name"]
        # DuckDB quotes struct field names that are keywords (`name`, `order`); the types are the same without quotes.
        spelled = [sqlglot.exp.DataType.build(r[1], dialect="duckdb").sql("duckdb").replace('"', "") for r in described]
        assert spelled == [duckdb_type(c["type"]).replace('"', "") for c in expected], definition["name"]


def test_partitioned_tables_read_every_day_as_a_string(catalog):
    _, con = catalog
    rows = con.execute("SELECT dt, tmdb_id, budget FROM trusted_tmdb_movies ORDER BY dt").fetchall()
    assert rows == [("2024-01-01", 10, 100), ("2024-01-02", 10, 100)]
    assert con.execute("SELECT count(*), min(genres[1]) FROM trusted_movies").fetchone() == (2, "Drama")


def test_tables_without_data_are_typed_and_empty(catalog):
    _, con = catalog
    assert con.execute("SELECT count(*) FROM trusted_tmdb_series").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM dim_company").fetchone() == (0,)


def test_analysis_views_are_the_translated_registry_sql_over_the_parquet(catalog):
    _, con = catalog
    for view in registry()["views"]:
        translated = sqlglot.transpile(view["sql"], read="trino", write="duckdb")[0]
        direct = sorted(con.execute(translated).fetchall(), key=repr)
        assert sorted(con.execute(f"SELECT * FROM {view['name']}").fetchall(), key=repr) == direct, view["name"]
    assert con.execute("SELECT count(*) FROM v_title_summary").fetchone() == (6,)
    assert con.execute("SELECT sum(titles) FROM v_countries_over_time WHERE country_code = 'US'").fetchone() == (3,)


def test_views_use_absolute_paths(catalog, lake):
    _, con = catalog
    stored = con.execute("SELECT sql FROM duckdb_views() WHERE view_name = 'fact_title'").fetchone()[0]
    assert f"'{lake.resolve()}/Refined/fact_title/**/*.parquet'" in stored


def test_cli_prints_where_the_database_is(lake, tmp_path):
    out = tmp_path / "elsewhere" / "lake.duckdb"
    result = subprocess.run(
        [sys.executable, "-m", "local.catalog", "--lake-dir", str(lake), "--out", str(out)],
        capture_output=True,
        text=True,
        check=True,
        cwd=GLUE_DIR,
    )
    assert result.stdout.strip() == f"catalog: {out}"
    assert out.exists()


def test_missing_lake_folder_fails_clearly(tmp_path):
    with pytest.raises(CatalogError, match="does not exist"):
        build_catalog(tmp_path / "nowhere")
