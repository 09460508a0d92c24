/**
 * Pure SQL builders for the local preview: each visual and KPI tile of lake/visuals.ts becomes one DuckDB query
 * over a materialized copy of its analysis view. Filter values are always bound parameters; the only text spliced into
 * the SQL is column names and constants from the typed registry, never user input.
 */
import type { Aggregation, DashboardDef, DistinctCount, KpiDef, VisualDef } from "../../lake/visuals";
import { FILTER_COLUMN_NAMES } from "../../lake/visuals";

/** The filter selection: undefined means "all". */
export interface Selection {
  kind?: string;
  genre?: string;
  decade?: number;
}

/** Named parameters bound to a query (DuckDB `$name`). */
export type Params = Record<string, string | number | boolean | null>;

/** A query ready to run. */
export interface Query {
  sql: string;
  params: Params;
}

/** The in-memory table holding a view's rows for the preview (created at startup from the catalog's view). */
export function materializedName(view: string): string {
  return `preview_${view}`;
}

/** Quotes an identifier that comes from the registry (validated lowercase snake_case, quoted anyway). */
function ident(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`unexpected identifier "${name}" in the visuals registry`);
  return `"${name}"`;
}

const AGGREGATE: Record<Aggregation, (column: string) => string> = {
  count_distinct: (column) => `COUNT(DISTINCT ${column})`,
  sum: (column) => `SUM(${column})`,
  avg: (column) => `AVG(${column})`,
  median: (column) => `MEDIAN(${column})`,
  max: (column) => `MAX(${column})`,
};

/** The WHERE clause applying the selection, with its parameters (a null parameter means "all"). */
export function filterClause(selection: Selection): Query {
  const params: Params = {
    kind: selection.kind ?? null,
    genre: selection.genre ?? null,
    decade: selection.decade ?? null,
  };
  const sql = FILTER_COLUMN_NAMES.map((column) => `($${column} IS NULL OR ${ident(column)} = $${column})`).join(
    " AND ",
  );
  return { sql, params };
}

/** The SELECT that loads a view's needed columns into the preview's in-memory table. */
export function materializeSql(view: string, columns: string[]): string {
  return `CREATE OR REPLACE TEMP TABLE ${ident(materializedName(view))} AS SELECT ${columns.map(ident).join(", ")} FROM ${ident(view)}`;
}

/** The query of one visual under a selection: grouped by its dimensions, aggregated, sorted, limited. */
export function visualQuery(visual: VisualDef, selection: Selection): Query {
  const where = filterClause(selection);
  const dims = visual.dimensions.map((d) => ident(d.column));
  const measures = visual.measures.map(
    (m) => `CAST(${AGGREGATE[m.aggregation](ident(m.column))} AS DOUBLE) AS ${ident(m.id)}`,
  );
  const base =
    `SELECT ${[...dims, ...measures].join(", ")} FROM ${ident(materializedName(visual.dataset))} ` +
    `WHERE ${where.sql} GROUP BY ${dims.join(", ")}`;
  // Ties are broken by every dimension so the order (and the templated finding) is deterministic.
  const order = `ORDER BY ${ident(visual.sort.by)} ${visual.sort.direction === "desc" ? "DESC" : "ASC"} NULLS LAST, ${dims.join(", ")}`;
  const limit = visual.limit !== undefined ? ` LIMIT ${Math.trunc(visual.limit)}` : "";
  const [, series] = visual.dimensions;
  const [first] = visual.measures;
  if (visual.topSeries === undefined || !series || !first)
    return { sql: `${base} ${order}${limit}`, params: where.params };
  const s = ident(series.column);
  const sql =
    `WITH base AS (${base}), top AS (SELECT ${s} FROM base GROUP BY ${s} ` +
    `ORDER BY SUM(${ident(first.id)}) DESC, ${s} LIMIT ${Math.trunc(visual.topSeries)}) ` +
    `SELECT * FROM base WHERE ${s} IN (SELECT ${s} FROM top) ${order}${limit}`;
  return { sql, params: where.params };
}

/** One COUNT(DISTINCT ...) expression, its condition bound as a parameter. */
function distinctCount(count: DistinctCount, param: string, params: Params): string {
  if (!count.where) return `COUNT(DISTINCT ${ident(count.column)})`;
  params[param] = count.where.equals;
  return `COUNT(DISTINCT CASE WHEN ${ident(count.where.column)} = $${param} THEN ${ident(count.column)} END)`;
}

/** One query per dataset computing all of its KPI tiles (numerator `<id>` and denominator `<id>__of`). */
export function kpiQueries(kpis: KpiDef[], selection: Selection): Map<string, Query> {
  const queries = new Map<string, Query>();
  for (const dataset of [...new Set(kpis.map((kpi) => kpi.dataset))]) {
    const where = filterClause(selection);
    const params: Params = { ...where.params };
    const columns = kpis
      .filter((kpi) => kpi.dataset === dataset)
      .flatMap((kpi) => [
        `CAST(${distinctCount(kpi.value, `${kpi.id}_v`, params)} AS DOUBLE) AS ${ident(kpi.id)}`,
        ...(kpi.denominator
          ? [`CAST(${distinctCount(kpi.denominator, `${kpi.id}_d`, params)} AS DOUBLE) AS ${ident(`${kpi.id}__of`)}`]
          : []),
      ]);
    queries.set(dataset, {
      sql: `SELECT ${columns.join(", ")} FROM ${ident(materializedName(dataset))} WHERE ${where.sql}`,
      params,
    });
  }
  return queries;
}

/** The filter choices: distinct values of each filter column in the first KPI's dataset (the title summary). */
export function filterOptionsQuery(dashboard: DashboardDef): Query {
  const dataset = dashboard.kpis[0]?.dataset;
  if (!dataset) throw new Error("the dashboard has no KPI tile to take filter options from");
  const lists = dashboard.filters.map(
    (f) =>
      `LIST(DISTINCT ${ident(f.column)} ORDER BY ${ident(f.column)}) FILTER (WHERE ${ident(f.column)} IS NOT NULL) AS ${ident(f.column)}`,
  );
  return { sql: `SELECT ${lists.join(", ")} FROM ${ident(materializedName(dataset))}`, params: {} };
}
