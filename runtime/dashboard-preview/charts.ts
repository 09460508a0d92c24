/**
 * Pure conversion of a visual's rows into an ECharts option (plain JSON, so the page only calls `setOption`), and of
 * numbers into their display text. The page and the tests share these, so what the browser shows is testable here.
 */
import type { Dimension, NumberFormat, VisualDef, VisualRow } from "../../lake/visuals";

/** An ECharts option as JSON (the page passes it to `setOption` untouched). */
export type ChartOption = Record<string, unknown>;

/** Formats a number for display. */
export function formatNumber(value: number | null | undefined, format: NumberFormat): string {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  switch (format) {
    case "integer":
      return Math.round(value).toLocaleString("en-US");
    case "percent":
      return `${(value * 100).toFixed(1)}%`;
    case "ratio":
      return `${value.toFixed(2)}×`;
    default:
      return value.toFixed(2);
  }
}

/** A dimension value as shown on an axis or legend (booleans and nulls get labels). */
export function dimensionLabel(dimension: Dimension, value: VisualRow[string]): string {
  if (value === null || value === undefined) return "unknown";
  return dimension.valueLabels?.[String(value)] ?? String(value);
}

const PALETTE = ["#3b6ea5", "#e07b39", "#5aa469", "#c44e52", "#8172b3", "#937860", "#da8bc3", "#8c8c8c"];

/** Category values of the first dimension, in row order. */
function categories(visual: VisualDef, rows: VisualRow[]): string[] {
  const [first] = visual.dimensions;
  return first ? [...new Set(rows.map((row) => dimensionLabel(first, row[first.column] ?? null)))] : [];
}

/** One series per value of the second dimension, aligned to the categories (missing cells are null). */
function splitSeries(
  visual: VisualDef,
  rows: VisualRow[],
  measure: string,
): { name: string; data: (number | null)[] }[] {
  const [first, second] = visual.dimensions;
  if (!first || !second) return [];
  const cats = categories(visual, rows);
  const names = [...new Set(rows.map((row) => dimensionLabel(second, row[second.column] ?? null)))].sort();
  return names.map((name) => ({
    name,
    data: cats.map((cat) => {
      const row = rows.find(
        (r) =>
          dimensionLabel(first, r[first.column] ?? null) === cat &&
          dimensionLabel(second, r[second.column] ?? null) === name,
      );
      return row && typeof row[measure] === "number" ? (row[measure] as number) : null;
    }),
  }));
}

/** Turns each category's series values into percentages of the category total. */
function toPercent(series: { name: string; data: (number | null)[] }[]): { name: string; data: (number | null)[] }[] {
  const totals = series[0]?.data.map((_, i) => series.reduce((sum, s) => sum + (s.data[i] ?? 0), 0)) ?? [];
  return series.map((s) => ({
    name: s.name,
    data: s.data.map((v, i) => (v === null || !totals[i] ? null : Math.round((v / (totals[i] ?? 1)) * 1000) / 10)),
  }));
}

/** The ECharts option of a chart visual (tables are rendered as HTML by the page, not by ECharts). */
export function chartOption(visual: VisualDef, rows: VisualRow[]): ChartOption {
  const [m1, m2] = visual.measures;
  const [d1] = visual.dimensions;
  if (!m1 || !d1) throw new Error(`visual ${visual.id} needs a dimension and a measure`);
  const base: ChartOption = {
    animation: false,
    color: PALETTE,
    grid: { left: 56, right: 16, top: 36, bottom: 56, containLabel: false },
    tooltip: { trigger: visual.chart === "scatter" ? "item" : "axis" },
  };
  const categoryAxis = { type: "category", data: categories(visual, rows), axisLabel: { rotate: 30, fontSize: 10 } };
  switch (visual.chart) {
    case "bar":
      return {
        ...base,
        xAxis: categoryAxis,
        yAxis: { type: "value", name: m1.label, nameTextStyle: { align: "left" } },
        series: [{ type: "bar", name: m1.label, data: rows.map((row) => row[m1.id] ?? null) }],
      };
    case "grouped_bar":
    case "line": {
      const series = splitSeries(visual, rows, m1.id);
      return {
        ...base,
        legend: { bottom: 0, type: "scroll" },
        grid: { ...(base.grid as object), bottom: 72 },
        xAxis: categoryAxis,
        yAxis: { type: "value", name: m1.label, nameTextStyle: { align: "left" } },
        series: series.map((s) => ({ type: visual.chart === "line" ? "line" : "bar", connectNulls: true, ...s })),
      };
    }
    case "stacked_percent_bar": {
      const series = toPercent(splitSeries(visual, rows, m1.id));
      return {
        ...base,
        legend: { bottom: 0 },
        grid: { ...(base.grid as object), bottom: 72 },
        xAxis: categoryAxis,
        yAxis: { type: "value", max: 100, name: `% of ${m1.label.toLowerCase()}`, nameTextStyle: { align: "left" } },
        series: series.map((s) => ({ type: "bar", stack: "share", ...s })),
      };
    }
    case "scatter": {
      if (!m2) throw new Error(`scatter visual ${visual.id} needs two measures`);
      const values = rows.flatMap((row) => [row[m1.id], row[m2.id]]).filter((v): v is number => typeof v === "number");
      const [lo, hi] = [Math.floor(Math.min(...values, 10)), Math.ceil(Math.max(...values, 0))];
      return {
        ...base,
        xAxis: { type: "value", name: m1.label, nameLocation: "middle", nameGap: 28, min: lo, max: hi },
        yAxis: { type: "value", name: m2.label, min: lo, max: hi },
        series: [
          {
            type: "scatter",
            symbolSize: 10,
            label: { show: true, position: "right", fontSize: 10, formatter: "{b}" },
            data: rows.map((row) => ({
              name: dimensionLabel(d1, row[d1.column] ?? null),
              value: [row[m1.id], row[m2.id]],
            })),
            // The diagonal is where both sites agree.
            markLine: { silent: true, symbol: "none", data: [[{ coord: [lo, lo] }, { coord: [hi, hi] }]] },
          },
        ],
      };
    }
    default:
      throw new Error(`visual ${visual.id}: chart type "${visual.chart}" is not drawn with ECharts`);
  }
}
