"""The local catalog: a DuckDB database built from the registry, the local twin of the Glue catalog and Athena views.

Every Trusted and Refined table becomes a view over its Parquet under a lake folder (Hive-partitioned where the
registry says so; typed and empty when the folder holds no data yet), and every analysis view is the registry's Athena
SQL translated to DuckDB by sqlglot, never a second hand-written copy. Paths in the views are absolute, so the file
works from any working directory (e.g. the dashboard preview's @duckdb/node-api).

    python3 -m local.catalog --lake-dir DIR [--out FILE]     (default FILE: DIR/../catalog.duckdb)

Run from glue/ (or with glue/ on PYTHONPATH): it reads the registry through the cinelake package beside it.
"""

import argparse
import os
import sys
from pathlib import Path

import duckdb
import sqlglot
from cinelake.registry import registry
from sqlglot import exp

ATHENA_DIALECT = "trino"
"""Athena's engine v3 speaks Trino's SQL; sqlglot reads the registry's views in that dialect."""


class CatalogError(RuntimeError):
    """The catalog could not be built as the registry declares it (a view's columns differ, bad SQL...)."""


def duckdb_type(hive_type: str) -> str:
    """A registry (Hive) type in DuckDB's spelling, e.g. `array<struct<id:int>>` -> `STRUCT(id INT)[]`."""
    return exp.DataType.build(hive_type, dialect="hive").sql(dialect="duckdb")


def quote(identifier: str) -> str:
    """A DuckDB identifier, always quoted (registry names such as `cast` or `date` are keywords)."""
    return '"' + identifier.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A DuckDB string literal."""
    return "'" + text.replace("'", "''") + "'"


def table_view_sql(definition: dict, lake_dir: Path) -> str:
    """The SELECT of a table's view: its registry columns, in order, over the Parquet under its location."""
    columns = definition["columns"] + definition["partitionKeys"]
    folder = (lake_dir / definition["location"]).resolve()
    if not any(folder.rglob("*.parquet")):
        # No data yet: a typed, empty relation keeps every analysis view valid.
        typed = ", ".join(f"CAST(NULL AS {duckdb_type(c['type'])}) AS {quote(c['name'])}" for c in columns)
        return f"SELECT {typed} WHERE false"
    options = ["union_by_name = true"]
    if definition["partitionKeys"]:
        # Partition values stay strings (dt), as the registry declares them, instead of DuckDB's inferred DATE.
        hive_types = ", ".join(f"{literal(c['name'])}: {duckdb_type(c['type'])}" for c in definition["partitionKeys"])
        options += ["hive_partitioning = true", f"hive_types = {{{hive_types}}}"]
    else:
        options.append("hive_partitioning = false")
    selected = ", ".join(f"CAST({quote(c['name'])} AS {duckdb_type(c['type'])}) AS {quote(c['name'])}" for c in columns)
    source = literal(f"{folder}/**/*.parquet")
    return f"SELECT {selected} FROM read_parquet({source}, {', '.join(options)})"


def view_sql(view: dict) -> str:
    """A registry view's Athena SQL translated to DuckDB."""
    statements = sqlglot.transpile(view["sql"], read=ATHENA_DIALECT, write="duckdb")
    if len(statements) != 1:
        raise CatalogError(f"view {view['name']}: expected one SELECT, sqlglot read {len(statements)} statements")
    return statements[0]


def check_columns(con, name: str, expected: list[str]) -> None:
    """Fails loudly when a view's columns differ (names or order) from what the registry declares."""
    actual = [row[0] for row in con.execute(f"DESCRIBE {quote(name)}").fetchall()]
    if actual != expected:
        raise CatalogError(f"view {name}: columns {actual} differ from the registry's {expected}")


def create_views(con, lake_dir: Path, reg: dict | None = None) -> list[str]:
    """Creates (or replaces) every table view and analysis view in an open DuckDB connection; returns their names."""
    reg = reg or registry()
    names = []
    for definition in reg["tables"]:
        con.execute(f"CREATE OR REPLACE VIEW {quote(definition['name'])} AS {table_view_sql(definition, lake_dir)}")
        check_columns(con, definition["name"], [c["name"] for c in definition["columns"] + definition["partitionKeys"]])
        names.append(definition["name"])
    for view in reg["views"]:
        if not view["sql"].strip():
            raise CatalogError(f"view {view['name']} has no SQL in the registry (lake/tables/views.ts)")
        try:
            con.execute(f"CREATE OR REPLACE VIEW {quote(view['name'])} AS {view_sql(view)}")
        except duckdb.Error as error:
            raise CatalogError(f"view {view['name']}: DuckDB refused the translated SQL: {error}") from error
        check_columns(con, view["name"], [c["name"] for c in view["columns"]])
        names.append(view["name"])
    return names


def default_out(lake_dir: Path) -> Path:
    """Where the catalog goes unless told: next to the lake folder, `<lake-dir>/../catalog.duckdb`."""
    return lake_dir.resolve().parent / "catalog.duckdb"


def build_catalog(lake_dir: Path, out: Path | None = None) -> Path:
    """Builds the DuckDB file for a lake folder (replacing it whole: written aside, then renamed); returns its path."""
    lake_dir = Path(lake_dir).resolve()
    if not lake_dir.is_dir():
        raise CatalogError(f"lake folder {lake_dir} does not exist")
    out = Path(out).resolve() if out else default_out(lake_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    for stale in (partial, Path(f"{partial}.wal")):
        stale.unlink(missing_ok=True)
    con = duckdb.connect(str(partial))
    try:
        create_views(con, lake_dir)
    finally:
        con.close()
    os.replace(partial, out)
    return out


def main(argv: list[str] | None = None) -> Path:
    """CLI: builds the catalog and prints where the database file is."""
    parser = argparse.ArgumentParser(prog="python3 -m local.catalog", description=__doc__.split("\n\n")[0])
    parser.add_argument("--lake-dir", required=True, type=Path, help="a folder laid out like the lake bucket")
    parser.add_argument("--out", type=Path, help="the database file (default: <lake-dir>/../catalog.duckdb)")
    args = parser.parse_args(argv)
    out = build_catalog(args.lake_dir, args.out)
    print(f"catalog: {out}")
    return out


if __name__ == "__main__":
    try:
        main()
    except CatalogError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
