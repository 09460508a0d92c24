"""The registry exported from lake/ (registry.json): tables and views (lake/tables.ts), jobs and their arguments
(lake/jobs.ts); read by the jobs and the local catalog."""

import json
import pkgutil
from functools import lru_cache

from pyspark.sql.types import StructField, StructType, _parse_datatype_string


@lru_cache(maxsize=1)
def registry() -> dict:
    """The whole registry: {"tables": [...], "views": [...], "jobs": [...], "glueArguments": [...]}."""
    # pkgutil reads it from a folder and from inside the zip Glue imports the package from (--extra-py-files).
    return json.loads(pkgutil.get_data("cinelake", "registry.json").decode("utf-8"))


def table(name: str) -> dict:
    """One table's definition, failing loudly when the registry does not have it."""
    for candidate in registry()["tables"]:
        if candidate["name"] == name:
            return candidate
    raise KeyError(f"table {name!r} is not in the registry (lake/tables.ts; run npm run registry:export)")


def spark_schema(name: str, with_partitions: bool = False) -> StructType:
    """The Spark schema of a table's data columns (and partition keys when asked), from the registry's Hive types."""
    definition = table(name)
    columns = definition["columns"] + (definition["partitionKeys"] if with_partitions else [])
    # One DDL string per table, parsed by Spark in one call: a bare type ("bigint") would first fail as a schema and be
    # parsed again as a type, a JVM exception per column.
    parsed = _parse_datatype_string(", ".join(f"`{c['name']}` {c['type']}" for c in columns))
    return StructType([StructField(field.name, field.dataType, True) for field in parsed.fields])


def job(name: str) -> dict:
    """One job's entry (`name`, `script`, `arguments`: the names it takes), failing loudly when it is not exported."""
    for candidate in registry()["jobs"]:
        if candidate["name"] == name:
            return candidate
    raise KeyError(f"job {name!r} is not in the registry (lake/jobs.ts; run npm run registry:export)")


def glue_arguments() -> list[str]:
    """The argument names AWS Glue passes or consumes itself (lake/jobs.ts GLUE_ARGUMENTS), without `--`."""
    return registry()["glueArguments"]
