/**
 * The typed dashboard visuals: written once here, rendered twice — to a QuickSight analysis/dashboard definition by the
 * `Dashboard` component and to ECharts by the local preview (`npm run dashboard`). Every field names a column of an
 * analysis view in the registry (lake/tables/views.ts), which a test checks.
 *
 * Grain rule (the views' grain includes the genre, so a title with three genres has three rows): titles are always
 * counted with COUNT(DISTINCT title_key), and every other aggregate over a title-grain view has `genre` or `title_key`
 * among its dimensions, so each title contributes once per bar in both renderers. The two pre-aggregated views
 * (`v_cast_gender_share`, `v_countries_over_time`) have no title key: their sums count a title once per genre, which
 * is why those visuals show shares and rankings rather than absolute title counts. `validateVisuals` enforces the rule.
 */
import { FILTER_COLUMNS } from "./tables/views";
import { VIEWS } from "./tables";

/** How a measure aggregates its column; the same function exists in DuckDB and QuickSight. */
export type Aggregation = "count_distinct" | "sum" | "avg" | "median" | "max";

/** How a number is shown. */
export type NumberFormat = "integer" | "decimal" | "percent" | "ratio";

/** A grouping column of a visual. */
export interface Dimension {
  /** Column of the visual's view. */
  column: string;
  /** Axis/legend label. */
  label: string;
  /** Display names for values (e.g. booleans), keyed by the value as text. */
  valueLabels?: Record<string, string>;
}

/** An aggregated column of a visual. */
export interface Measure {
  /** Name of the result column (unique within the visual, lowercase snake_case). */
  id: string;
  /** Column of the visual's view. */
  column: string;
  /** Aggregation applied to the column. */
  aggregation: Aggregation;
  /** Axis/legend label. */
  label: string;
  /** Display format. */
  format: NumberFormat;
}

/** The chart types both renderers know. */
export type ChartType = "table" | "bar" | "grouped_bar" | "stacked_percent_bar" | "scatter" | "line";

/** One result row of a visual's query: dimension columns and measure ids. */
export type VisualRow = Record<string, string | number | boolean | null>;

/** A dashboard visual: chart type, dataset (an analysis view), fields and caption. */
export interface VisualDef {
  /** Stable id (QuickSight visual id and DOM id). */
  id: string;
  /** Short title. */
  title: string;
  /** Chart type (scatter: first measure on x, second on y, one point per first dimension). */
  chart: ChartType;
  /** The analysis view the visual reads (also the QuickSight dataset). */
  dataset: string;
  /** Grouping columns: the first is the category axis, the optional second splits series (colour). */
  dimensions: Dimension[];
  /** Aggregated columns. */
  measures: Measure[];
  /** Result order: a measure id or dimension column, and direction. */
  sort: { by: string; direction: "asc" | "desc" };
  /** Keep only the first N rows (tables, rankings). */
  limit?: number;
  /** Keep only the N values of the second dimension with the largest first-measure total (e.g. top countries). */
  topSeries?: number;
  /** What the visual shows (static, also QuickSight's subtitle). */
  shows: string;
  /** The finding, templated from the visual's rows (computed by the preview); undefined when there are no rows. */
  finding: (rows: VisualRow[]) => string | undefined;
}

/** A count of distinct values, optionally restricted to rows where a column equals a value. */
export interface DistinctCount {
  column: string;
  where?: { column: string; equals: string | boolean };
}

/** A KPI tile: one number (or one share) over a view. */
export interface KpiDef {
  /** Stable id. */
  id: string;
  /** Label under the number. */
  label: string;
  /** The analysis view read. */
  dataset: string;
  /** The number (or the numerator of a share). */
  value: DistinctCount;
  /** When set, the tile shows value / denominator as a percentage. */
  denominator?: DistinctCount;
  /** Display format. */
  format: NumberFormat;
}

/** A filter applying to every visual and tile (every view starts with the three filter columns). */
export interface FilterDef {
  /** Filter column, present in every view. */
  column: string;
  /** Control label. */
  label: string;
}

/** The whole dashboard: headline, tiles, visuals and filters. */
export interface DashboardDef {
  title: string;
  lead: string;
  kpis: KpiDef[];
  visuals: VisualDef[];
  filters: FilterDef[];
}

const fmt = (value: unknown, digits = 1): string => (typeof value === "number" ? value.toFixed(digits) : "n/a");
const num = (value: unknown): number => (typeof value === "number" ? value : Number.NaN);

/** Sums a measure per value of a dimension (for findings over two-dimension visuals). */
function totalsBy(rows: VisualRow[], dimension: string, measure: string): Map<string, number> {
  const totals = new Map<string, number>();
  for (const row of rows) {
    const key = String(row[dimension]);
    totals.set(key, (totals.get(key) ?? 0) + (num(row[measure]) || 0));
  }
  return totals;
}

/** Share of women in the cast credits of one decade's rows, or undefined without known-gender credits. */
function femaleShare(rows: VisualRow[], decade: number): number | undefined {
  const inDecade = rows.filter((row) => row.decade === decade && row.gender !== "unknown");
  const total = inDecade.reduce((sum, row) => sum + (num(row.credits) || 0), 0);
  const female = inDecade.filter((row) => row.gender === "female").reduce((sum, row) => sum + num(row.credits), 0);
  return total > 0 ? female / total : undefined;
}

/** The dashboard: a story about the titles in the lake. */
export const DASHBOARD: DashboardDef = {
  title: "Movies & series in the lake",
  lead:
    "What the IMDb catalogue and TMDB say about the titles in this lake: which ones rate best once the number of votes " +
    "is taken into account, whether the two sites agree, which genres pay back their budgets, whether franchises beat " +
    "standalone films, how the cast's gender balance moved over the decades, which series last, and where titles are " +
    "made. Every number follows the kind, genre and decade filters above.",
  filters: [
    { column: "kind", label: "Kind" },
    { column: "genre", label: "Genre" },
    { column: "decade", label: "Decade" },
  ],
  kpis: [
    {
      id: "titles",
      label: "Titles",
      dataset: "v_title_summary",
      value: { column: "title_key" },
      format: "integer",
    },
    {
      id: "movies",
      label: "Movies",
      dataset: "v_title_summary",
      value: { column: "title_key", where: { column: "kind", equals: "movie" } },
      format: "integer",
    },
    {
      id: "series",
      label: "Series",
      dataset: "v_title_summary",
      value: { column: "title_key", where: { column: "kind", equals: "series" } },
      format: "integer",
    },
    {
      id: "artists",
      label: "Artists",
      dataset: "v_title_artists",
      value: { column: "person_key" },
      format: "integer",
    },
    {
      id: "tmdb_share",
      label: "Enriched by TMDB",
      dataset: "v_title_summary",
      value: { column: "title_key", where: { column: "is_tmdb_enriched", equals: true } },
      denominator: { column: "title_key" },
      format: "percent",
    },
  ],
  visuals: [
    {
      id: "top_titles",
      title: "Top titles",
      chart: "table",
      dataset: "v_top_titles_by_genre_decade",
      dimensions: [
        { column: "title", label: "Title" },
        { column: "kind", label: "Kind" },
        { column: "release_year", label: "Year" },
        { column: "imdb_id", label: "IMDb id" },
      ],
      measures: [
        {
          id: "weighted_rating",
          column: "weighted_rating",
          aggregation: "max",
          label: "Weighted rating",
          format: "decimal",
        },
        { id: "imdb_rating", column: "imdb_rating", aggregation: "max", label: "IMDb rating", format: "decimal" },
        { id: "imdb_votes", column: "imdb_votes", aggregation: "max", label: "Votes", format: "integer" },
      ],
      sort: { by: "weighted_rating", direction: "desc" },
      limit: 10,
      shows:
        "The best-rated titles of the selection by a vote-weighted rating, so a few enthusiastic votes do not win.",
      finding: (rows) =>
        rows[0] &&
        `${rows[0].title} (${rows[0].release_year}) leads with a weighted rating of ${fmt(rows[0].weighted_rating, 2)}.`,
    },
    {
      id: "rating_agreement",
      title: "Do IMDb and TMDB agree?",
      chart: "scatter",
      dataset: "v_rating_agreement",
      dimensions: [{ column: "genre", label: "Genre" }],
      measures: [
        {
          id: "imdb_rating",
          column: "imdb_rating",
          aggregation: "avg",
          label: "Average IMDb rating",
          format: "decimal",
        },
        {
          id: "tmdb_rating",
          column: "tmdb_vote_average",
          aggregation: "avg",
          label: "Average TMDB rating",
          format: "decimal",
        },
      ],
      sort: { by: "genre", direction: "asc" },
      shows:
        "Each point is a genre: its average IMDb rating against its average TMDB rating, for titles rated on both.",
      finding: (rows) => {
        // Over the same titles, the gap of the averages is the average gap.
        const gaps = rows
          .map((row) => ({ genre: row.genre, gap: num(row.tmdb_rating) - num(row.imdb_rating) }))
          .filter((g) => !Number.isNaN(g.gap))
          .sort((a, b) => b.gap - a.gap);
        const [most, least] = [gaps[0], gaps[gaps.length - 1]];
        if (!most || !least) return undefined;
        if (most === least) return `TMDB rates ${most.genre} ${fmt(most.gap, 2)} points away from IMDb.`;
        return (
          `TMDB is most generous with ${most.genre} (${fmt(most.gap, 2)} points vs IMDb) and ` +
          `least with ${least.genre} (${fmt(least.gap, 2)}).`
        );
      },
    },
    {
      id: "financials",
      title: "Which genres pay back their budget?",
      chart: "bar",
      dataset: "v_financials",
      dimensions: [{ column: "genre", label: "Genre" }],
      measures: [
        {
          id: "median_return",
          column: "return_ratio",
          aggregation: "median",
          label: "Median revenue / budget",
          format: "ratio",
        },
        { id: "movies", column: "title_key", aggregation: "count_distinct", label: "Movies", format: "integer" },
      ],
      sort: { by: "median_return", direction: "desc" },
      shows: "Median revenue divided by budget per genre, over movies whose budget and revenue are both known.",
      finding: (rows) =>
        rows[0] &&
        `${rows[0].genre} returns the most: the median movie earns ${fmt(rows[0].median_return, 1)}× its budget ` +
          `(${rows[0].movies} movies).`,
    },
    {
      id: "franchise_vs_standalone",
      title: "Franchise vs standalone",
      chart: "grouped_bar",
      dataset: "v_franchise_vs_standalone",
      dimensions: [
        { column: "genre", label: "Genre" },
        {
          column: "is_franchise",
          label: "Part of a collection",
          valueLabels: { true: "Franchise", false: "Standalone" },
        },
      ],
      measures: [
        {
          id: "avg_rating",
          column: "imdb_rating",
          aggregation: "avg",
          label: "Average IMDb rating",
          format: "decimal",
        },
      ],
      sort: { by: "genre", direction: "asc" },
      shows: "Average IMDb rating per genre of titles that belong to a TMDB collection against those that do not.",
      finding: (rows) => {
        const byGenre = new Map<string, { franchise?: number; standalone?: number }>();
        for (const row of rows) {
          const entry = byGenre.get(String(row.genre)) ?? {};
          entry[row.is_franchise === true ? "franchise" : "standalone"] = num(row.avg_rating);
          byGenre.set(String(row.genre), entry);
        }
        const compared = [...byGenre.values()].filter((e) => e.franchise !== undefined && e.standalone !== undefined);
        if (compared.length === 0) return undefined;
        const standaloneWins = compared.filter((e) => (e.standalone ?? 0) > (e.franchise ?? 0)).length;
        return `Standalone titles out-rate franchise ones in ${standaloneWins} of ${compared.length} genres.`;
      },
    },
    {
      id: "cast_gender_share",
      title: "Who gets cast, decade by decade",
      chart: "stacked_percent_bar",
      dataset: "v_cast_gender_share",
      dimensions: [
        { column: "decade", label: "Decade" },
        { column: "gender", label: "Gender" },
      ],
      measures: [{ id: "credits", column: "credits", aggregation: "sum", label: "Cast credits", format: "integer" }],
      sort: { by: "decade", direction: "asc" },
      shows: "Share of cast credits by gender per decade (TMDB gender where known, else the CSV's actor/actress).",
      finding: (rows) => {
        const decades = [...new Set(rows.map((row) => num(row.decade)))].sort((a, b) => a - b);
        const withShare = decades.filter((decade) => femaleShare(rows, decade) !== undefined);
        const [first, last] = [withShare[0], withShare[withShare.length - 1]];
        if (first === undefined || last === undefined) return undefined;
        const [from, to] = [femaleShare(rows, first) ?? 0, femaleShare(rows, last) ?? 0];
        return first === last
          ? `Women hold ${(to * 100).toFixed(0)}% of the known-gender cast credits of the ${last}s.`
          : `Women hold ${(to * 100).toFixed(0)}% of the known-gender cast credits in the ${last}s, ` +
              `against ${(from * 100).toFixed(0)}% in the ${first}s.`;
      },
    },
    {
      id: "series_longevity",
      title: "Which series last?",
      chart: "bar",
      dataset: "v_series_longevity",
      dimensions: [{ column: "genre", label: "Genre" }],
      measures: [
        {
          id: "avg_years",
          column: "years_running",
          aggregation: "avg",
          label: "Average years on air",
          format: "decimal",
        },
        {
          id: "avg_rating",
          column: "imdb_rating",
          aggregation: "avg",
          label: "Average IMDb rating",
          format: "decimal",
        },
        { id: "series", column: "title_key", aggregation: "count_distinct", label: "Series", format: "integer" },
      ],
      sort: { by: "avg_years", direction: "desc" },
      shows: "Average years on air per genre of series, with their average IMDb rating.",
      finding: (rows) =>
        rows[0] &&
        `${rows[0].genre} series last longest: ${fmt(rows[0].avg_years)} years on average, rated ` +
          `${fmt(rows[0].avg_rating)} (${rows[0].series} series).`,
    },
    {
      id: "countries_over_time",
      title: "Where titles are made",
      chart: "line",
      dataset: "v_countries_over_time",
      dimensions: [
        { column: "decade", label: "Decade" },
        { column: "country_name", label: "Country" },
      ],
      measures: [
        { id: "titles", column: "titles", aggregation: "sum", label: "Titles (once per genre)", format: "integer" },
      ],
      sort: { by: "decade", direction: "asc" },
      topSeries: 5,
      shows: "Titles per decade for the five production countries with the most titles in the selection.",
      finding: (rows) => {
        const totals = [...totalsBy(rows, "country_name", "titles").entries()].sort((a, b) => b[1] - a[1]);
        const top = totals[0];
        if (!top) return undefined;
        const others = totals.slice(1, 3).map(([name]) => name);
        return `${top[0]} produces the most titles${others.length ? `, ahead of ${others.join(" and ")}` : ""}.`;
      },
    },
  ],
};

/** The columns a visual reads from its view (dimensions then measures), for checks and dataset projections. */
export function visualColumns(visual: VisualDef): string[] {
  return [...new Set([...visual.dimensions.map((d) => d.column), ...visual.measures.map((m) => m.column)])];
}

/** The columns a KPI tile reads from its view. */
export function kpiColumns(kpi: KpiDef): string[] {
  const counts = [kpi.value, ...(kpi.denominator ? [kpi.denominator] : [])];
  return [...new Set(counts.flatMap((count) => [count.column, ...(count.where ? [count.where.column] : [])]))];
}

/** The analysis views the dashboard reads, in first-use order. */
export function dashboardDatasets(dashboard: DashboardDef = DASHBOARD): string[] {
  return [...new Set([...dashboard.kpis.map((k) => k.dataset), ...dashboard.visuals.map((v) => v.dataset)])];
}

/** A view a dashboard can draw from: its name and columns (a `ViewDef` of ./tables is one, as is another lake's). */
export interface VisualView {
  /** The view's name, which visuals and tiles give as their `dataset`. */
  name: string;
  /** The view's columns, in order. */
  columns: readonly { name: string }[];
}

/**
 * Checks a dashboard against the views it draws from (the movies registry's `VIEWS` unless another lake passes its
 * own) and the grain rule; returns the problems (empty when valid). Used by the tests, the Dashboard component and
 * the preview, so a wrong field fails before AWS or DuckDB is called.
 */
export function validateVisuals(dashboard: DashboardDef = DASHBOARD, views: readonly VisualView[] = VIEWS): string[] {
  const problems: string[] = [];
  const ids = new Set<string>();
  const columnsOf = (dataset: string): Set<string> | undefined => {
    const view = views.find((candidate) => candidate.name === dataset);
    if (!view) problems.push(`dataset "${dataset}" is not an analysis view of the registry`);
    return view && new Set(view.columns.map((column) => column.name));
  };
  for (const item of [...dashboard.kpis, ...dashboard.visuals]) {
    if (ids.has(item.id)) problems.push(`duplicate id "${item.id}"`);
    ids.add(item.id);
    if (!/^[a-z][a-z0-9_]*$/.test(item.id)) problems.push(`id "${item.id}" must be lowercase snake_case`);
    const columns = columnsOf(item.dataset);
    if (!columns) continue;
    const used = "chart" in item ? visualColumns(item) : kpiColumns(item);
    for (const column of used)
      if (!columns.has(column)) problems.push(`${item.id}: column "${column}" is not in view ${item.dataset}`);
    for (const filter of dashboard.filters)
      if (!columns.has(filter.column)) problems.push(`${item.id}: filter column "${filter.column}" missing`);
  }
  for (const visual of dashboard.visuals) {
    const columns = columnsOf(visual.dataset);
    const dims = visual.dimensions.map((d) => d.column);
    const measureIds = visual.measures.map((m) => m.id);
    if (visual.measures.length === 0) problems.push(`${visual.id}: needs at least one measure`);
    if (![...dims, ...measureIds].includes(visual.sort.by))
      problems.push(`${visual.id}: sorts by unknown "${visual.sort.by}"`);
    if (visual.chart === "scatter" && visual.measures.length < 2)
      problems.push(`${visual.id}: scatter needs 2 measures`);
    if (["grouped_bar", "stacked_percent_bar"].includes(visual.chart) && dims.length !== 2)
      problems.push(`${visual.id}: ${visual.chart} needs exactly 2 dimensions`);
    if (visual.topSeries !== undefined && dims.length !== 2)
      problems.push(`${visual.id}: topSeries needs 2 dimensions`);
    // The grain rule: averages, sums and medians over a title-grain view must be split by genre or title.
    const titleGrain = columns?.has("title_key") ?? false;
    const perTitleOrGenre = dims.some((d) => ["genre", "title_key", "imdb_id"].includes(d));
    for (const measure of visual.measures)
      if (titleGrain && measure.aggregation !== "count_distinct" && !perTitleOrGenre)
        problems.push(`${visual.id}: ${measure.aggregation}(${measure.column}) would count a title once per genre`);
  }
  return problems;
}

/** The filter columns every view starts with (re-exported so renderers do not reach into the registry's internals). */
export const FILTER_COLUMN_NAMES: readonly string[] = FILTER_COLUMNS.map((column) => column.name);
