/**
 * The QuickSight definition of a dashboard (and of its analysis), generated from a visuals definition (the movies
 * lake's is lake/visuals.ts) over the views it is given: datasets keyed by view name, one sheet with the title and
 * lead, a dropdown per filter, the KPI tiles and every visual in a grid; plus each dataset's SQL and columns. Pure — no
 * Pulumi resource is created here — so it is tested on its own (test/components/dashboardDefinition.test.ts) and the
 * Dashboard component only wires it.
 */
import type * as awsnative from "@pulumi/aws-native";
import type { CatalogColumn, CatalogViewDef } from "./glueCatalog";
import {
  dashboardDatasets,
  type Aggregation,
  type DashboardDef,
  type DistinctCount,
  type KpiDef,
  type Measure,
  type VisualDef,
} from "../lake/visuals";

/** The definition shape QuickSight's Dashboard takes (the Analysis shape is structurally the same). */
export type QuickSightDefinition = awsnative.types.input.quicksight.DashboardVersionDefinitionArgs;
type DimensionField = awsnative.types.input.quicksight.DashboardDimensionFieldArgs;
type MeasureField = awsnative.types.input.quicksight.DashboardMeasureFieldArgs;
type Visual = awsnative.types.input.quicksight.DashboardVisualArgs;
type FilterGroup = awsnative.types.input.quicksight.DashboardFilterGroupArgs;
type InputColumn = awsnative.types.input.quicksight.DataSetInputColumnArgs;

const NUMERIC_TYPES = new Set(["int", "bigint", "double", "smallint", "tinyint", "float"]);

/** A view a dashboard draws from: its name and typed columns (a `CatalogViewDef`, e.g. a `ViewDef` of lake/tables.ts). */
export type DashboardView = Pick<CatalogViewDef, "name" | "columns">;

/** A column of one of the given views (throws when missing: validateVisuals should have caught it). */
function columnOf(views: readonly DashboardView[], dataset: string, name: string): CatalogColumn {
  const column = views.find((view) => view.name === dataset)?.columns.find((c) => c.name === name);
  if (!column) throw new Error(`view ${dataset} has no column ${name}`);
  return column;
}

/** QuickSight's type for a registry column; booleans arrive as the strings 'true'/'false' (see datasetSql). */
export function quickSightType(column: CatalogColumn): "STRING" | "INTEGER" | "DECIMAL" {
  if (column.type === "int" || column.type === "bigint") return "INTEGER";
  if (NUMERIC_TYPES.has(column.type)) return "DECIMAL";
  return "STRING";
}

/** The dataset's SQL: every column of the view, booleans cast to 'true'/'false' for QuickSight's filters. */
export function datasetSql(database: string, view: string, viewColumns: readonly CatalogColumn[]): string {
  const columns = viewColumns.map((c) =>
    c.type === "boolean" ? `CAST("${c.name}" AS varchar) AS "${c.name}"` : `"${c.name}"`,
  );
  return `SELECT ${columns.join(", ")} FROM "${database}"."${view}"`;
}

/** What QuickSight (and CloudFormation's schema) allow as a key of a dataset's physical or logical table map. */
export const TABLE_ID = /^[0-9a-zA-Z-]{1,64}$/;

/**
 * The key of a view's table in its dataset's `physicalTableMap`: the view name with `-` for `_`, because QuickSight
 * refuses underscores there (`[0-9a-zA-Z-]{1,64}`). The dashboard's dataset identifiers stay the view names: they live
 * in the definition, which allows them.
 */
export function physicalTableId(view: string): string {
  const id = view.replace(/_/g, "-");
  if (!TABLE_ID.test(id)) throw new Error(`view ${view} gives no valid QuickSight table id (${id})`);
  return id;
}

/** The dataset's input columns, from the view's. */
export function datasetColumns(viewColumns: readonly CatalogColumn[]): InputColumn[] {
  return viewColumns.map((c) => ({ name: c.name, type: quickSightType(c) }));
}

const AGGREGATIONS: Record<Aggregation, "DISTINCT_COUNT" | "SUM" | "AVERAGE" | "MEDIAN" | "MAX"> = {
  count_distinct: "DISTINCT_COUNT",
  sum: "SUM",
  avg: "AVERAGE",
  median: "MEDIAN",
  max: "MAX",
};

/** Field id of a visual's field: `<visual>.<column or measure id>`. */
export function fieldId(visualId: string, name: string): string {
  return `${visualId}.${name}`;
}

function dimensionField(views: readonly DashboardView[], visual: VisualDef, column: string): DimensionField {
  const field = {
    fieldId: fieldId(visual.id, column),
    column: { dataSetIdentifier: visual.dataset, columnName: column },
  };
  return NUMERIC_TYPES.has(columnOf(views, visual.dataset, column).type)
    ? { numericalDimensionField: field }
    : { categoricalDimensionField: field };
}

function measureField(views: readonly DashboardView[], visual: VisualDef, measure: Measure): MeasureField {
  const field = {
    fieldId: fieldId(visual.id, measure.id),
    column: { dataSetIdentifier: visual.dataset, columnName: measure.column },
  };
  if (!NUMERIC_TYPES.has(columnOf(views, visual.dataset, measure.column).type)) {
    if (measure.aggregation !== "count_distinct")
      throw new Error(`${visual.id}: ${measure.aggregation} of text column ${measure.column}`);
    return { categoricalMeasureField: { ...field, aggregationFunction: "DISTINCT_COUNT" } };
  }
  return {
    numericalMeasureField: {
      ...field,
      aggregationFunction: { simpleNumericalAggregation: AGGREGATIONS[measure.aggregation] },
    },
  };
}

const label = (text: string) => ({ visibility: "VISIBLE" as const, formatText: { plainText: text } });

/** One visual as a QuickSight visual, its field kinds from the types of its view's columns. */
export function quickSightVisual(visual: VisualDef, views: readonly DashboardView[]): Visual {
  const dims = visual.dimensions.map((d) => dimensionField(views, visual, d.column));
  const measures = visual.measures.map((m) => measureField(views, visual, m));
  const [d1, d2] = dims;
  const [m1, m2] = measures;
  const common = { visualId: visual.id, title: label(visual.title), subtitle: label(visual.shows) };
  const direction = visual.sort.direction === "desc" ? ("DESC" as const) : ("ASC" as const);
  const sortField = fieldId(visual.id, visual.sort.by);
  switch (visual.chart) {
    case "table":
      return {
        tableVisual: {
          ...common,
          chartConfiguration: {
            fieldWells: { tableAggregatedFieldWells: { groupBy: dims, values: measures } },
            sortConfiguration: {
              rowSort: [{ fieldSort: { fieldId: sortField, direction } }],
              paginationConfiguration: { pageSize: visual.limit ?? 10, pageNumber: 1 },
            },
          },
        },
      };
    case "bar":
    case "grouped_bar":
    case "stacked_percent_bar":
      return {
        barChartVisual: {
          ...common,
          chartConfiguration: {
            orientation: "VERTICAL",
            barsArrangement: visual.chart === "stacked_percent_bar" ? "STACKED_PERCENT" : "CLUSTERED",
            fieldWells: {
              barChartAggregatedFieldWells: {
                category: d1 ? [d1] : [],
                colors: d2 ? [d2] : [],
                // A split bar plots its first measure per colour; a plain bar plots every measure side by side.
                values: d2 ? (m1 ? [m1] : []) : measures,
              },
            },
            sortConfiguration: { categorySort: [{ fieldSort: { fieldId: sortField, direction } }] },
          },
        },
      };
    case "scatter":
      return {
        scatterPlotVisual: {
          ...common,
          chartConfiguration: {
            fieldWells: {
              scatterPlotCategoricallyAggregatedFieldWells: {
                category: d1 ? [d1] : [],
                xAxis: m1 ? [m1] : [],
                yAxis: m2 ? [m2] : [],
              },
            },
          },
        },
      };
    case "line":
      return {
        lineChartVisual: {
          ...common,
          chartConfiguration: {
            type: "LINE",
            fieldWells: {
              lineChartAggregatedFieldWells: {
                category: d1 ? [d1] : [],
                colors: d2 ? [d2] : [],
                values: m1 ? [m1] : [],
              },
            },
            sortConfiguration: { categorySort: [{ fieldSort: { fieldId: sortField, direction } }] },
          },
        },
      };
  }
}

/** The QuickSight expression of a distinct count (the condition's value is a registry constant, quoted). */
function distinctCountExpression(count: DistinctCount): string {
  if (!count.where) return `distinct_count({${count.column}})`;
  const value = String(count.where.equals).replace(/'/g, "\\'");
  return `distinct_countIf({${count.column}}, {${count.where.column}} = '${value}')`;
}

/** The calculated field behind a KPI tile (a share divides two distinct counts). */
export function kpiExpression(kpi: KpiDef): string {
  const value = distinctCountExpression(kpi.value);
  return kpi.denominator ? `${value} / ${distinctCountExpression(kpi.denominator)}` : value;
}

/** The name of a KPI's calculated field. */
export const kpiFieldName = (kpi: KpiDef) => `kpi_${kpi.id}`;

function kpiVisual(kpi: KpiDef): Visual {
  return {
    kpiVisual: {
      visualId: `kpi_${kpi.id}`,
      title: label(kpi.label),
      chartConfiguration: {
        fieldWells: {
          values: [
            {
              numericalMeasureField: {
                fieldId: fieldId(`kpi_${kpi.id}`, "value"),
                column: { dataSetIdentifier: kpi.dataset, columnName: kpiFieldName(kpi) },
              },
            },
          ],
        },
      },
    },
  };
}

/** The dashboard's filters, each applied to every dataset that has the column (all of them do). */
function filterGroups(dashboard: DashboardDef, views: readonly DashboardView[], sheetId: string): FilterGroup[] {
  const dataset = dashboardDatasets(dashboard)[0] ?? "";
  const groups: FilterGroup[] = dashboard.filters.map((filter) => {
    const column = { dataSetIdentifier: dataset, columnName: filter.column };
    const filterId = `filter_${filter.column}`;
    const numeric = NUMERIC_TYPES.has(columnOf(views, dataset, filter.column).type);
    return {
      filterGroupId: `group_${filter.column}`,
      crossDataset: "ALL_DATASETS",
      status: "ENABLED",
      scopeConfiguration: { selectedSheets: { sheetVisualScopingConfigurations: [{ sheetId, scope: "ALL_VISUALS" }] } },
      filters: [
        numeric
          ? {
              numericEqualityFilter: {
                filterId,
                column,
                matchOperator: "EQUALS",
                nullOption: "ALL_VALUES",
                selectAllOptions: "FILTER_ALL_VALUES",
              },
            }
          : {
              categoryFilter: {
                filterId,
                column,
                configuration: {
                  filterListConfiguration: { matchOperator: "CONTAINS", selectAllOptions: "FILTER_ALL_VALUES" },
                },
              },
            },
      ],
    };
  });
  // Top-N series (e.g. the five biggest countries) as a visual-scoped top/bottom filter.
  for (const visual of dashboard.visuals) {
    const [, series] = visual.dimensions;
    const [first] = visual.measures;
    if (visual.topSeries === undefined || !series || !first) continue;
    groups.push({
      filterGroupId: `group_top_${visual.id}`,
      crossDataset: "SINGLE_DATASET",
      status: "ENABLED",
      scopeConfiguration: {
        selectedSheets: {
          sheetVisualScopingConfigurations: [{ sheetId, scope: "SELECTED_VISUALS", visualIds: [visual.id] }],
        },
      },
      filters: [
        {
          topBottomFilter: {
            filterId: `filter_top_${visual.id}`,
            column: { dataSetIdentifier: visual.dataset, columnName: series.column },
            limit: visual.topSeries,
            aggregationSortConfigurations: [
              {
                column: { dataSetIdentifier: visual.dataset, columnName: first.column },
                sortDirection: "DESC",
                aggregationFunction: {
                  numericalAggregationFunction: { simpleNumericalAggregation: AGGREGATIONS[first.aggregation] },
                },
              },
            ],
          },
        },
      ],
    });
  }
  return groups;
}

const escapeXml = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/**
 * The QuickSight definition of a dashboard (also used for the analysis) over the views it draws from: datasets keyed
 * by view name, one sheet with the title and lead, a dropdown per filter, the KPI tiles and every visual in a grid.
 */
export function quickSightDefinition(
  dashboard: DashboardDef,
  datasetArns: Record<string, string>,
  views: readonly DashboardView[],
): QuickSightDefinition {
  const sheetId = "overview";
  const datasets = dashboardDatasets(dashboard);
  for (const dataset of datasets) if (!datasetArns[dataset]) throw new Error(`no dataset ARN for view ${dataset}`);
  const visuals = [
    ...dashboard.kpis.map(kpiVisual),
    ...dashboard.visuals.map((visual) => quickSightVisual(visual, views)),
  ];
  const kpiWidth = Math.floor(36 / Math.max(1, dashboard.kpis.length));
  const elements = [
    { elementId: "lead", elementType: "TEXT_BOX" as const, columnIndex: 0, columnSpan: 36, rowIndex: 0, rowSpan: 4 },
    ...dashboard.kpis.map((kpi, i) => ({
      elementId: `kpi_${kpi.id}`,
      elementType: "VISUAL" as const,
      columnIndex: i * kpiWidth,
      columnSpan: kpiWidth,
      rowIndex: 4,
      rowSpan: 5,
    })),
    ...dashboard.visuals.map((visual, i) => ({
      elementId: visual.id,
      elementType: "VISUAL" as const,
      columnIndex: (i % 2) * 18,
      columnSpan: 18,
      rowIndex: 9 + Math.floor(i / 2) * 12,
      rowSpan: 12,
    })),
  ];
  return {
    dataSetIdentifierDeclarations: datasets.map((identifier) => ({
      identifier,
      dataSetArn: datasetArns[identifier] ?? "",
    })),
    calculatedFields: dashboard.kpis.map((kpi) => ({
      dataSetIdentifier: kpi.dataset,
      name: kpiFieldName(kpi),
      expression: kpiExpression(kpi),
    })),
    filterGroups: filterGroups(dashboard, views, sheetId),
    sheets: [
      {
        sheetId,
        name: "Overview",
        title: dashboard.title,
        description: dashboard.lead,
        textBoxes: [
          {
            sheetTextBoxId: "lead",
            content: `<text-box><block><inline font-size="20px">${escapeXml(dashboard.title)}</inline></block><br/>${escapeXml(dashboard.lead)}</text-box>`,
          },
        ],
        filterControls: dashboard.filters.map((filter) => ({
          dropdown: {
            filterControlId: `control_${filter.column}`,
            sourceFilterId: `filter_${filter.column}`,
            title: filter.label,
            type: "SINGLE_SELECT",
          },
        })),
        visuals,
        layouts: [{ configuration: { gridLayout: { elements } } }],
      },
    ],
  };
}
