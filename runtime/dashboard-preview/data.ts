/**
 * The preview's data side: opens the local DuckDB catalog read-only, copies the columns the dashboard needs from each
 * analysis view into in-memory temp tables once (so a filter change aggregates small local tables instead of
 * re-running the views' joins over Parquet), and answers one payload per selection. Every failure a student can cause
 * (no catalog, an old catalog, an empty selection) becomes a friendly message naming the command to run.
 */
import { existsSync } from "node:fs";
import { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import type { DashboardDef, KpiDef, VisualDef, VisualRow } from "../../lake/visuals";
import { DASHBOARD, kpiColumns, validateVisuals, visualColumns } from "../../lake/visuals";
import { chartOption, formatNumber, type ChartOption } from "./charts";
import {
  filterOptionsQuery,
  kpiQueries,
  materializeSql,
  visualQuery,
  type Params,
  type Query,
  type Selection,
} from "./queries";

/** A message for the student instead of a stack trace. */
export interface FriendlyMessage {
  title: string;
  detail: string;
  /** The command that fixes it. */
  command: string;
}

/** One filter control with its choices. */
export interface FilterPayload {
  column: string;
  label: string;
  options: (string | number)[];
  selected: string | number | null;
}

/** One KPI tile's value. */
export interface KpiPayload {
  id: string;
  label: string;
  value: number | null;
  display: string;
}

/** One visual's data, caption and (for charts) ECharts option. */
export interface VisualPayload {
  id: string;
  title: string;
  chart: VisualDef["chart"];
  shows: string;
  finding: string | undefined;
  rows: VisualRow[];
  option: ChartOption | undefined;
  columns: { key: string; label: string; format: string | undefined }[];
}

/** Everything the page needs for one selection: one round trip per filter change. */
export interface PreviewPayload {
  status: "ok" | "no-catalog" | "missing-tables" | "empty";
  message?: FriendlyMessage;
  title: string;
  lead: string;
  filters: FilterPayload[];
  kpis: KpiPayload[];
  visuals: VisualPayload[];
  /** Milliseconds spent querying DuckDB for this payload. */
  queryMs: number;
}

/**
 * Connections querying in parallel. One: each DuckDB query already uses every core, and on a 2-core machine three
 * concurrent lanes measured 2.4× slower than one (bench/dashboard).
 */
const QUERY_LANES = 1;
/** Payloads kept per selection: the catalog does not change while the preview runs, so a repeat costs nothing. */
const CACHE_ENTRIES = 256;

const BUILD_HINT = "npm run demo   (or: npm run catalog -- --lake-dir DIR)";

/** Thrown for a catalog the preview cannot use; carries the friendly message. */
export class CatalogProblem extends Error {
  constructor(
    readonly status: "no-catalog" | "missing-tables",
    readonly friendly: FriendlyMessage,
  ) {
    super(`${friendly.title}: ${friendly.detail}`);
  }
}

/** Converts DuckDB values to JSON-friendly ones (BIGINT arrives as bigint). */
function plain(value: unknown): string | number | boolean | null {
  if (typeof value === "bigint") return Number(value);
  if (typeof value === "number" || typeof value === "string" || typeof value === "boolean") return value;
  if (value === null || value === undefined) return null;
  return String(value);
}

/** The columns each dataset needs: the filters plus every column its visuals and tiles read. */
export function neededColumns(dashboard: DashboardDef): Map<string, string[]> {
  const needed = new Map<string, Set<string>>();
  const add = (dataset: string, columns: string[]) => {
    const set = needed.get(dataset) ?? new Set(dashboard.filters.map((f) => f.column));
    columns.forEach((column) => set.add(column));
    needed.set(dataset, set);
  };
  dashboard.kpis.forEach((kpi) => add(kpi.dataset, kpiColumns(kpi)));
  dashboard.visuals.forEach((visual) => add(visual.dataset, visualColumns(visual)));
  return new Map([...needed].map(([dataset, columns]) => [dataset, [...columns]]));
}

/** The opened catalog with its materialized views and connections. */
export class PreviewData {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connections: DuckDBConnection[],
    private readonly dashboard: DashboardDef,
    private readonly options: FilterPayload[],
  ) {}

  /** Milliseconds spent opening the catalog, materializing the views and computing the unfiltered payload. */
  loadMs = 0;

  /** Opens the catalog read-only and materializes what the dashboard needs; throws CatalogProblem when unusable. */
  static async open(catalog: string, dashboard: DashboardDef = DASHBOARD): Promise<PreviewData> {
    const problems = validateVisuals(dashboard);
    if (problems.length) throw new Error(`the visuals registry is invalid:\n  ${problems.join("\n  ")}`);
    if (!existsSync(catalog))
      throw new CatalogProblem("no-catalog", {
        title: "No local catalog yet",
        detail: `There is no DuckDB catalog at ${catalog}. Build the local lake and its catalog first, then reload.`,
        command: BUILD_HINT,
      });
    const started = performance.now();
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(catalog, { access_mode: "READ_ONLY" });
    } catch (error) {
      throw new CatalogProblem("no-catalog", {
        title: "The catalog cannot be opened",
        detail: `DuckDB could not open ${catalog} (${(error as Error).message.split("\n")[0]}). Rebuild it, then reload.`,
        command: BUILD_HINT,
      });
    }
    const connections = await Promise.all(Array.from({ length: QUERY_LANES }, () => instance.connect()));
    const [first] = connections as [DuckDBConnection];
    try {
      await checkViews(first, catalog, dashboard);
      // Each view is computed once, in parallel; the copies are small (only the needed columns).
      const needed = [...neededColumns(dashboard)];
      await inLanes(connections, needed, (connection, [dataset, columns]) =>
        connection.run(materializeSql(dataset, columns)),
      );
      const options = await loadOptions(first, dashboard);
      const data = new PreviewData(instance, connections, dashboard, options);
      await data.payload({}); // warm the cache with the first page's selection
      data.loadMs = performance.now() - started;
      return data;
    } catch (error) {
      connections.forEach((connection) => connection.closeSync());
      instance.closeSync();
      throw error;
    }
  }

  private readonly cache = new Map<string, Promise<PreviewPayload>>();

  /**
   * The payload for one selection (values outside the filter choices select nothing, they are not an error), cached
   * per selection: the unfiltered one is computed at start, so the first render only waits for the browser.
   */
  payload(selection: Selection): Promise<PreviewPayload> {
    const key = JSON.stringify([selection.kind ?? null, selection.genre ?? null, selection.decade ?? null]);
    let cached = this.cache.get(key);
    if (!cached) {
      cached = this.compute(selection);
      cached.catch(() => this.cache.delete(key));
      if (this.cache.size >= CACHE_ENTRIES) this.cache.delete(this.cache.keys().next().value as string);
      this.cache.set(key, cached);
    }
    return cached;
  }

  private async compute(selection: Selection): Promise<PreviewPayload> {
    const started = performance.now();
    const kpiQs = kpiQueries(this.dashboard.kpis, selection);
    const jobs: Query[] = [
      ...kpiQs.values(),
      ...this.dashboard.visuals.map((visual) => visualQuery(visual, selection)),
    ];
    const results = await this.runAll(jobs);
    const kpiRows = new Map([...kpiQs.keys()].map((dataset, i) => [dataset, results[i]?.[0] ?? {}]));
    const kpis = this.dashboard.kpis.map((kpi) => kpiPayload(kpi, kpiRows.get(kpi.dataset) ?? {}));
    const visuals = this.dashboard.visuals.map((visual, i) => visualPayload(visual, results[kpiQs.size + i] ?? []));
    const filters = this.options.map((f) => ({ ...f, selected: selection[f.column as keyof Selection] ?? null }));
    const empty = !kpis[0]?.value;
    return {
      status: empty ? "empty" : "ok",
      ...(empty
        ? {
            message: {
              title: "Nothing matches this selection",
              detail: `No titles for ${describe(selection)}. Set a filter back to "All" — or, if the lake itself is empty, load data first.`,
              command: BUILD_HINT,
            },
          }
        : {}),
      title: this.dashboard.title,
      lead: this.dashboard.lead,
      filters,
      kpis,
      visuals,
      queryMs: Math.round(performance.now() - started),
    };
  }

  /** Closes the connections and the database. */
  close(): void {
    this.connections.forEach((connection) => connection.closeSync());
    this.instance.closeSync();
  }

  /** Runs queries in parallel across the connections, one at a time per connection (a connection is not reentrant). */
  private async runAll(queries: Query[]): Promise<VisualRow[][]> {
    return inLanes(this.connections, queries, (connection, query) => this.run(connection, query));
  }

  private async run(connection: DuckDBConnection, query: Query): Promise<VisualRow[]> {
    const reader = await connection.runAndReadAll(query.sql, query.params as Params);
    return reader.getRowObjects().map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, plain(v)])));
  }
}

/** Runs `work` over the items in parallel across the connections, one item at a time per connection (a DuckDB
 * connection is not reentrant); results keep the items' order. */
async function inLanes<T, R>(
  connections: DuckDBConnection[],
  items: T[],
  work: (connection: DuckDBConnection, item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  await Promise.all(
    connections.map(async (connection, lane) => {
      for (let i = lane; i < items.length; i += connections.length) results[i] = await work(connection, items[i] as T);
    }),
  );
  return results;
}

/** Fails with a friendly message when a view or column the dashboard reads is missing from the catalog. */
async function checkViews(connection: DuckDBConnection, catalog: string, dashboard: DashboardDef): Promise<void> {
  const reader = await connection.runAndReadAll(
    "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'main'",
  );
  const present = new Map<string, Set<string>>();
  for (const row of reader.getRowObjects()) {
    const columns = present.get(String(row.table_name)) ?? new Set<string>();
    columns.add(String(row.column_name));
    present.set(String(row.table_name), columns);
  }
  const missing = [...neededColumns(dashboard)].flatMap(([dataset, columns]) => {
    const have = present.get(dataset);
    if (!have) return [dataset];
    const lacking = columns.filter((column) => !have.has(column));
    return lacking.length ? [`${dataset} (columns ${lacking.join(", ")})`] : [];
  });
  if (missing.length)
    throw new CatalogProblem("missing-tables", {
      title: "The catalog is missing analysis views",
      detail: `${catalog} has no ${missing.join("; ")}. It was built before these views existed or from an incomplete lake: rebuild it, then reload.`,
      command: BUILD_HINT,
    });
}

/** The choices of each filter, read once (the data does not change while the preview runs). */
async function loadOptions(connection: DuckDBConnection, dashboard: DashboardDef): Promise<FilterPayload[]> {
  const query = filterOptionsQuery(dashboard);
  const row = (await connection.runAndReadAll(query.sql)).getRowObjects()[0] ?? {};
  return dashboard.filters.map((f) => {
    const list = row[f.column] as { items?: unknown[] } | null | undefined;
    const options = (list?.items ?? [])
      .map(plain)
      .filter((v): v is string | number => v !== null && v !== true && v !== false);
    return { column: f.column, label: f.label, options, selected: null };
  });
}

/** A tile's value and display text from its dataset's KPI row. */
function kpiPayload(kpi: KpiDef, row: VisualRow): KpiPayload {
  const value = typeof row[kpi.id] === "number" ? (row[kpi.id] as number) : null;
  const of = row[`${kpi.id}__of`];
  const shown = kpi.denominator ? (typeof of === "number" && of > 0 && value !== null ? value / of : null) : value;
  return { id: kpi.id, label: kpi.label, value: shown, display: formatNumber(shown, kpi.format) };
}

/** A visual's rows, finding and chart option. */
function visualPayload(visual: VisualDef, rows: VisualRow[]): VisualPayload {
  return {
    id: visual.id,
    title: visual.title,
    chart: visual.chart,
    shows: visual.shows,
    finding: rows.length ? visual.finding(rows) : undefined,
    rows,
    option: visual.chart === "table" || rows.length === 0 ? undefined : chartOption(visual, rows),
    columns: [
      ...visual.dimensions.map((d) => ({ key: d.column, label: d.label, format: undefined })),
      ...visual.measures.map((m) => ({ key: m.id, label: m.label, format: m.format as string })),
    ],
  };
}

/** The selection in words, for messages. */
export function describe(selection: Selection): string {
  const parts = Object.entries(selection)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key} = ${value}`);
  return parts.length ? parts.join(", ") : "the whole lake";
}
