/**
 * The typed registry of the lake's tables and analysis views: every Trusted and Refined table (columns, types,
 * descriptions, partition keys, location) and every analysis view (Athena SQL) is written here once. It feeds the
 * StarSchema component (Glue tables and views), the Spark jobs (output schemas, via the exported JSON), the local
 * DuckDB catalog, the ER diagram and the dashboard.
 */
import { TRUSTED_TABLES } from "./tables/trusted";
import { REFINED_TABLES } from "./tables/refined";
import { ANALYSIS_VIEWS } from "./tables/views";

/** A Hive/Glue type string, e.g. `string`, `bigint`, `double`, `date`, `array<string>`, `struct<id:int,name:string>`. */
export type HiveType = string;

/** One column of a table or view. */
export interface Column {
  /** Lowercase snake_case name, as Glue, Athena, Spark and DuckDB see it. */
  name: string;
  /** The Hive/Glue type. */
  type: HiveType;
  /** What the column holds, in one sentence (shown in the Glue catalog). */
  description: string;
}

/** A reference from columns of one table to the key of another (drawn in the ER diagram, checked by the jobs). */
export interface ForeignKey {
  columns: string[];
  references: { table: string; columns: string[] };
}

/** A table of the Trusted or Refined zone. */
export interface TableDef {
  /** Lowercase snake_case table name, unique across the registry. */
  name: string;
  /** Which zone's Glue database holds it. */
  zone: "trusted" | "refined";
  /** What one row is (the grain), then anything else worth knowing. */
  description: string;
  /** The table's prefix in the bucket (from lakePaths), ending in `/`. */
  location: string;
  /** The data columns, in file order. */
  columns: Column[];
  /** Hive-style partition columns (e.g. `dt`), not stored in the files. */
  partitionKeys: Column[];
  /** Columns that identify a row. */
  primaryKey: string[];
  /** References to other tables' keys. */
  foreignKeys: ForeignKey[];
}

/** An analysis view: Athena (Trino) SQL over the Refined tables, unqualified, in the Refined database. */
export interface ViewDef {
  /** Lowercase snake_case view name. */
  name: string;
  /** The question the view answers and its grain. */
  description: string;
  /** The view's SELECT in Athena's dialect: the one copy; DuckDB gets it translated. */
  sql: string;
  /** The columns the SELECT returns, in order. */
  columns: Column[];
}

/** Every table of the lake, Trusted first. */
export const TABLES: readonly TableDef[] = [...TRUSTED_TABLES, ...REFINED_TABLES];
/** Every analysis view. */
export const VIEWS: readonly ViewDef[] = ANALYSIS_VIEWS;

/** Looks a table up by name, failing loudly when it is not in the registry. */
export function tableByName(name: string): TableDef {
  const table = TABLES.find((candidate) => candidate.name === name);
  if (!table) throw new Error(`table "${name}" is not in the registry (lake/tables.ts)`);
  return table;
}

/** Looks a view up by name, failing loudly when it is not in the registry. */
export function viewByName(name: string): ViewDef {
  const view = VIEWS.find((candidate) => candidate.name === name);
  if (!view) throw new Error(`view "${name}" is not in the registry (lake/tables.ts)`);
  return view;
}

/** The registry as plain JSON, for the Python side (Spark jobs, DuckDB catalog) and the diagram. */
export function registryJson(): { tables: readonly TableDef[]; views: readonly ViewDef[] } {
  return { tables: TABLES, views: VIEWS };
}
