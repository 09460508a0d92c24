/**
 * Pure helpers that turn a typed table registry (the movies lake's is lake/tables.ts) into what the Glue Data Catalog and Athena expect:
 * Glue columns, Parquet storage, partition projection parameters, and the encoding Athena uses for views stored as
 * Glue tables (see docs/athena-views.md). No Pulumi resources here, so every rule is testable on plain values.
 */
import { ConfigError } from "./naming";
import { parseDay } from "../lake/paths";

/** The zone a cataloged table belongs to: one Glue database each. */
export const CatalogZone = {
  /** Typed, clean tables read from the Raw files. */
  Trusted: "trusted",
  /** The modelled tables (e.g. a star schema) and the views over them. */
  Refined: "refined",
} as const;
/** A zone (a named enum in the package schema). */
export type CatalogZone = (typeof CatalogZone)[keyof typeof CatalogZone];

/** One column of a cataloged table or view (a `Column` of lake/tables.ts is one). */
export interface CatalogColumn {
  /** Lowercase snake_case name, as Glue, Athena and Spark see it. */
  name: string;
  /** The Hive/Glue type, e.g. `string`, `bigint`, `array<string>`, `struct<id:int,name:string>`. */
  type: string;
  /** What the column holds, in one sentence (the Glue column comment, at most 255 characters). */
  description: string;
}

/** A table to catalog: an external Parquet table under a prefix of the lake bucket (a `TableDef` of lake/tables.ts is one). */
export interface CatalogTableDef {
  /** Lowercase snake_case table name, unique across the tables and views. */
  name: string;
  /** Which zone's Glue database holds it. */
  zone: CatalogZone;
  /** What one row is (the grain), then anything else worth knowing. */
  description: string;
  /** The table's prefix in the bucket, relative and ending in `/` (e.g. `Trusted/Local/Parquet/Movies/`). */
  location: string;
  /** The data columns, in file order. */
  columns: CatalogColumn[];
  /** Hive-style partition columns (e.g. `dt`), not stored in the files; `[]` for none. */
  partitionKeys: CatalogColumn[];
}

/** An analysis view: Athena (Trino) SQL over the Refined tables, unqualified (a `ViewDef` of lake/tables.ts is one). */
export interface CatalogViewDef {
  /** Lowercase snake_case view name. */
  name: string;
  /** The question the view answers and its grain. */
  description: string;
  /** The view's SELECT in Athena's dialect; a view whose SQL is still empty is skipped with a warning. */
  sql: string;
  /** The columns the SELECT returns, in order. */
  columns: CatalogColumn[];
}

/** Thrown when a registry type is not a Hive type this library can carry to Glue and Athena. */
export class HiveTypeError extends Error {
  override name = "HiveTypeError";
}

/** A parsed Hive type: a primitive (with optional parameters such as `decimal(10,2)`) or a nested type. */
export type HiveTypeNode =
  | { kind: "primitive"; name: string; params: number[] }
  | { kind: "array"; element: HiveTypeNode }
  | { kind: "map"; key: HiveTypeNode; value: HiveTypeNode }
  | { kind: "struct"; fields: { name: string; type: HiveTypeNode }[] };

/** The Hive primitive types, mapped to the Presto/Trino type Athena records for a view column of that type. */
export const HIVE_TO_PRESTO_PRIMITIVES: Readonly<Record<string, string>> = {
  string: "varchar",
  varchar: "varchar",
  char: "char",
  tinyint: "tinyint",
  smallint: "smallint",
  int: "integer",
  integer: "integer",
  bigint: "bigint",
  float: "real",
  double: "double",
  decimal: "decimal",
  boolean: "boolean",
  date: "date",
  // Athena engine v3 (Trino) records a view's timestamp columns with their precision, milliseconds; a view whose stored
  // type says plain `timestamp` is reported stale ("column type mismatch") when queried.
  timestamp: "timestamp(3)",
  binary: "varbinary",
};

/** How many parameters each parameterised primitive takes: [min, max]. */
const PRIMITIVE_PARAMS: Readonly<Record<string, [number, number]>> = { decimal: [0, 2], varchar: [1, 1], char: [1, 1] };

/** Parses a Hive type string (`array<struct<id:int,name:string>>`), failing with the position of the first error. */
export function parseHiveType(text: string): HiveTypeNode {
  let pos = 0;
  const fail = (what: string): never => {
    throw new HiveTypeError(`type "${text}": ${what} at position ${pos}`);
  };
  const skipSpace = () => {
    while (text[pos] === " ") pos++;
  };
  const word = (): string => {
    skipSpace();
    const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(pos));
    if (!match) return fail("expected a name");
    pos += match[0].length;
    return match[0];
  };
  const expect = (char: string) => {
    skipSpace();
    if (text[pos] !== char) fail(`expected "${char}"`);
    pos++;
  };
  const parse = (): HiveTypeNode => {
    const name = word().toLowerCase();
    if (name === "array") {
      expect("<");
      const element = parse();
      expect(">");
      return { kind: "array", element };
    }
    if (name === "map") {
      expect("<");
      const key = parse();
      if (key.kind !== "primitive") fail("a map key must be a primitive type");
      expect(",");
      const value = parse();
      expect(">");
      return { kind: "map", key, value };
    }
    if (name === "struct") {
      expect("<");
      const fields: { name: string; type: HiveTypeNode }[] = [];
      for (;;) {
        const field = word();
        expect(":");
        fields.push({ name: field, type: parse() });
        skipSpace();
        if (text[pos] !== ",") break;
        pos++;
      }
      expect(">");
      return { kind: "struct", fields };
    }
    if (!(name in HIVE_TO_PRESTO_PRIMITIVES)) fail(`"${name}" is not a Hive type`);
    const params: number[] = [];
    skipSpace();
    if (text[pos] === "(") {
      pos++;
      for (;;) {
        skipSpace();
        const digits = /^\d+/.exec(text.slice(pos))?.[0] ?? fail("expected a number");
        pos += digits.length;
        params.push(Number(digits));
        skipSpace();
        if (text[pos] !== ",") break;
        pos++;
      }
      expect(")");
    }
    const [min, max] = PRIMITIVE_PARAMS[name] ?? [0, 0];
    if (params.length < min || params.length > max)
      fail(`"${name}" takes ${min === max ? min : `${min} to ${max}`} parameter(s), not ${params.length}`);
    return { kind: "primitive", name, params };
  };
  const node = parse();
  skipSpace();
  if (pos !== text.length) fail("unexpected text");
  return node;
}

/** Renders a parsed type in Presto/Trino syntax: `array(row(id integer, name varchar))`. */
function renderPresto(node: HiveTypeNode): string {
  switch (node.kind) {
    case "primitive": {
      const base = HIVE_TO_PRESTO_PRIMITIVES[node.name] as string;
      return node.params.length ? `${base}(${node.params.join(",")})` : base;
    }
    case "array":
      return `array(${renderPresto(node.element)})`;
    case "map":
      return `map(${renderPresto(node.key)}, ${renderPresto(node.value)})`;
    case "struct":
      return `row(${node.fields.map((field) => `${field.name.toLowerCase()} ${renderPresto(field.type)}`).join(", ")})`;
  }
}

/** The Presto/Trino type Athena stores in a view's definition for a column of the given Hive type. */
export function prestoType(hiveType: string): string {
  return renderPresto(parseHiveType(hiveType));
}

/** Glue's limit on a column comment. */
export const MAX_COLUMN_COMMENT = 255;
const CATALOG_NAME = /^[a-z][a-z0-9_]*$/;

/** Checks a table, view or column name: lowercase snake_case, as Glue stores it and Athena, Spark and DuckDB read it. */
export function checkCatalogName(name: string, what: string): string {
  if (!CATALOG_NAME.test(name) || name.length > 255)
    throw new ConfigError(
      what,
      `"${name}" is not a lowercase snake_case name of at most 255 characters`,
      "rename it in the table registry (Glue lowercases names, so anything else would not match the files)",
    );
  return name;
}

/** A Glue column: the registry's name, Hive type and description (as the comment), checked against Glue's rules. */
export interface GlueColumn {
  /** Lowercase name. */
  name: string;
  /** Hive type. */
  type: string;
  /** The registry's description. */
  comment: string;
}

/** Converts registry columns to Glue columns, refusing bad names, unknown types and comments Glue would reject. */
export function glueColumns(columns: readonly CatalogColumn[], owner: string): GlueColumn[] {
  const seen = new Set<string>();
  return columns.map((column) => {
    const what = `${owner}.${column.name}`;
    checkCatalogName(column.name, `column ${what}`);
    if (seen.has(column.name))
      throw new ConfigError(`column ${what}`, "appears twice", "give every column a distinct name");
    seen.add(column.name);
    try {
      parseHiveType(column.type);
    } catch (error) {
      throw new ConfigError(`column ${what}`, (error as Error).message, "use a Hive type, e.g. string or array<int>");
    }
    if (column.description.length > MAX_COLUMN_COMMENT)
      throw new ConfigError(
        `column ${what}`,
        `its description has ${column.description.length} characters, over Glue's comment limit of ${MAX_COLUMN_COMMENT}`,
        "shorten the description in the table registry",
      );
    return { name: column.name, type: column.type, comment: column.description };
  });
}

/** The Parquet input/output formats and SerDe Glue and Athena need to read the lake's tables. */
export const PARQUET_STORAGE = {
  inputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
  outputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
  serializationLibrary: "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
} as const;

/** The partition key partition projection knows how to project without extra settings: the collection day. */
export const DT_PARTITION_KEY = "dt";
/** The first day a `dt` projection covers by default (before any TMDB collection this lake can hold). */
export const DEFAULT_PROJECTION_START = "2020-01-01";

/** The `s3://bucket/prefix` location of a table (the registry's location ends in `/`). */
export function tableLocation(bucketName: string, table: Pick<CatalogTableDef, "location">): string {
  return `s3://${bucketName}/${table.location}`;
}

/**
 * The table parameters that make Athena compute a table's partitions instead of reading them from the catalog
 * (partition projection), so no crawler or `MSCK REPAIR` is ever needed. A `dt` key is projected as a day from
 * `startDate` to now; any other key needs its `projection.<key>.*` settings in `extra` (there is no way to guess them).
 */
export function partitionProjectionParameters(
  table: CatalogTableDef,
  bucketName: string,
  options: { startDate?: string; extra?: Readonly<Record<string, string>> } = {},
): Record<string, string> {
  if (table.partitionKeys.length === 0) return {};
  const startDate = options.startDate ?? DEFAULT_PROJECTION_START;
  parseDay(startDate);
  const parameters: Record<string, string> = { "projection.enabled": "true" };
  for (const key of table.partitionKeys) {
    if (key.name === DT_PARTITION_KEY) {
      Object.assign(parameters, {
        "projection.dt.type": "date",
        "projection.dt.format": "yyyy-MM-dd",
        "projection.dt.range": `${startDate},NOW`,
        "projection.dt.interval": "1",
        "projection.dt.interval.unit": "DAYS",
      });
    } else if (!options.extra?.[`projection.${key.name}.type`]) {
      throw new ConfigError(
        `partitionProjection.${table.name}`,
        `table ${table.name} is partitioned by "${key.name}", which cannot be projected without its values`,
        `pass partitionProjection: { ${table.name}: { "projection.${key.name}.type": "enum", "projection.${key.name}.values": "a,b" } } or partition by dt`,
      );
    }
  }
  const template = table.partitionKeys.map((key) => `${key.name}=\${${key.name}}/`).join("");
  return {
    ...parameters,
    ...options.extra,
    "storage.location.template": `${tableLocation(bucketName, table)}${template}`,
  };
}

/** The catalog Athena names the Glue Data Catalog in a view definition. */
export const ATHENA_CATALOG = "awsdatacatalog";
/** The `viewExpandedText` Athena writes for its views (the real definition is in `viewOriginalText`). */
export const PRESTO_VIEW_EXPANDED_TEXT = "/* Presto View */";

/** The JSON Athena keeps (base64-encoded) in a view's `viewOriginalText`. */
export interface PrestoViewDefinition {
  /** The view's SELECT. */
  originalSql: string;
  /** Always `awsdatacatalog`. */
  catalog: string;
  /** The database (schema) the SELECT's unqualified table names resolve in. */
  schema: string;
  /** The columns the SELECT returns, with Presto/Trino types. */
  columns: { name: string; type: string }[];
}

const PRESTO_VIEW = /^\/\* Presto View: ([A-Za-z0-9+/=]+) \*\/$/;

/** The definition Athena would store for a registry view living in database `schema`. */
export function prestoViewDefinition(view: CatalogViewDef, schema: string): PrestoViewDefinition {
  if (view.sql.trim() === "")
    throw new ConfigError(`view ${view.name}`, "has no SQL", "write its SELECT in the view registry");
  return {
    originalSql: view.sql,
    catalog: ATHENA_CATALOG,
    schema,
    columns: view.columns.map((column) => ({ name: column.name, type: prestoType(column.type) })),
  };
}

/** Encodes a view definition the way Athena stores it: `/* Presto View: <base64 of the JSON> *\/`. */
export function encodePrestoView(definition: PrestoViewDefinition): string {
  return `/* Presto View: ${Buffer.from(JSON.stringify(definition), "utf8").toString("base64")} */`;
}

/** Decodes a `viewOriginalText` written by Athena (or by {@link encodePrestoView}), refusing anything else. */
export function decodePrestoView(viewOriginalText: string): PrestoViewDefinition {
  const match = PRESTO_VIEW.exec(viewOriginalText);
  if (!match) throw new Error(`not an Athena view encoding: "${viewOriginalText.slice(0, 40)}..."`);
  return JSON.parse(Buffer.from(match[1] as string, "base64").toString("utf8")) as PrestoViewDefinition;
}
