/**
 * Dashboard: QuickSight over Athena, generated from the visuals registry (lake/visuals.ts). One Athena data
 * source on the StarSchema's workgroup (with its own least-privilege role), one dataset per analysis view, and an
 * analysis and a dashboard whose `definition` is built here from the same visuals the local preview draws.
 * `@pulumi/aws` does not expose QuickSight's `definition`, so those resources come from `@pulumi/aws-native`.
 * The account-level QuickSight subscription is a prerequisite (docs/quicksight.md), checked, never created here.
 */
import * as aws from "@pulumi/aws";
import * as awsnative from "@pulumi/aws-native";
import * as pulumi from "@pulumi/pulumi";
import { TABLES, viewByName, type Column } from "../lake/tables";
import { refinedTablePrefix, SYSTEM_PREFIXES } from "../lake/paths";
import { ConfigError, checkStackName, physicalName } from "./naming";
import { childOptions } from "./resourceOptions";
import { policyJson, s3PrefixPolicyStatements, serviceTrustPolicy, type PolicyStatement } from "./policy";
import {
  DASHBOARD,
  dashboardDatasets,
  validateVisuals,
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

/** A QuickSight user or group ARN, parsed. */
export interface QuickSightPrincipal {
  arn: string;
  /** QuickSight's identity region (where users live; may differ from the dashboard's region). */
  region: string;
  accountId: string;
  kind: "user" | "group";
  namespace: string;
  name: string;
}

const PRINCIPAL_ARN =
  /^arn:aws[a-z-]*:quicksight:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):(user|group)\/([A-Za-z0-9._-]+)\/(\S+)$/;

/** Parses and checks a QuickSight principal ARN (`arn:aws:quicksight:<region>:<account>:user|group/<namespace>/<name>`). */
export function parseQuickSightPrincipal(arn: string, setting = "principalArn"): QuickSightPrincipal {
  const match = PRINCIPAL_ARN.exec(typeof arn === "string" ? arn : "");
  if (!match)
    throw new ConfigError(
      setting,
      `"${String(arn)}" is not a QuickSight user or group ARN`,
      "pass e.g. arn:aws:quicksight:us-east-1:123456789012:user/default/alice " +
        "(find it with `aws quicksight list-users --aws-account-id <account> --namespace default`)",
    );
  const [, region, accountId, kind, namespace, name] = match as unknown as [
    string,
    string,
    string,
    "user" | "group",
    string,
    string,
  ];
  return { arn, region, accountId, kind, namespace, name };
}

/** What the owner of each QuickSight asset may do (QuickSight's documented "owner" action sets). */
export const OWNER_ACTIONS = {
  dataSource: [
    "quicksight:DescribeDataSource",
    "quicksight:DescribeDataSourcePermissions",
    "quicksight:PassDataSource",
    "quicksight:UpdateDataSource",
    "quicksight:DeleteDataSource",
    "quicksight:UpdateDataSourcePermissions",
  ],
  dataSet: [
    "quicksight:DescribeDataSet",
    "quicksight:DescribeDataSetPermissions",
    "quicksight:PassDataSet",
    "quicksight:DescribeIngestion",
    "quicksight:ListIngestions",
    "quicksight:UpdateDataSet",
    "quicksight:DeleteDataSet",
    "quicksight:CreateIngestion",
    "quicksight:CancelIngestion",
    "quicksight:UpdateDataSetPermissions",
  ],
  analysis: [
    "quicksight:RestoreAnalysis",
    "quicksight:UpdateAnalysisPermissions",
    "quicksight:DeleteAnalysis",
    "quicksight:DescribeAnalysisPermissions",
    "quicksight:QueryAnalysis",
    "quicksight:DescribeAnalysis",
    "quicksight:UpdateAnalysis",
  ],
  dashboard: [
    "quicksight:DescribeDashboard",
    "quicksight:ListDashboardVersions",
    "quicksight:UpdateDashboardPermissions",
    "quicksight:QueryDashboard",
    "quicksight:UpdateDashboard",
    "quicksight:DeleteDashboard",
    "quicksight:DescribeDashboardPermissions",
    "quicksight:UpdateDashboardPublishedVersion",
  ],
} as const;

// --- The definition, generated from the visuals registry (pure) -------------------------------------------------

const NUMERIC_TYPES = new Set(["int", "bigint", "double", "smallint", "tinyint", "float"]);

/** The registry column of a view (throws when missing: validateVisuals should have caught it). */
function columnOf(dataset: string, name: string): Column {
  const column = viewByName(dataset).columns.find((c) => c.name === name);
  if (!column) throw new Error(`view ${dataset} has no column ${name}`);
  return column;
}

/** QuickSight's type for a registry column; booleans arrive as the strings 'true'/'false' (see datasetSql). */
export function quickSightType(column: Column): "STRING" | "INTEGER" | "DECIMAL" {
  if (column.type === "int" || column.type === "bigint") return "INTEGER";
  if (NUMERIC_TYPES.has(column.type)) return "DECIMAL";
  return "STRING";
}

/** The dataset's SQL: every registry column of the view, booleans cast to 'true'/'false' for QuickSight's filters. */
export function datasetSql(database: string, view: string): string {
  const columns = viewByName(view).columns.map((c) =>
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

/** The dataset's input columns, from the registry. */
export function datasetColumns(view: string): InputColumn[] {
  return viewByName(view).columns.map((c) => ({ name: c.name, type: quickSightType(c) }));
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

function dimensionField(visual: VisualDef, column: string): DimensionField {
  const field = {
    fieldId: fieldId(visual.id, column),
    column: { dataSetIdentifier: visual.dataset, columnName: column },
  };
  return NUMERIC_TYPES.has(columnOf(visual.dataset, column).type)
    ? { numericalDimensionField: field }
    : { categoricalDimensionField: field };
}

function measureField(visual: VisualDef, measure: Measure): MeasureField {
  const field = {
    fieldId: fieldId(visual.id, measure.id),
    column: { dataSetIdentifier: visual.dataset, columnName: measure.column },
  };
  if (!NUMERIC_TYPES.has(columnOf(visual.dataset, measure.column).type)) {
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

/** One registry visual as a QuickSight visual. */
export function quickSightVisual(visual: VisualDef): Visual {
  const dims = visual.dimensions.map((d) => dimensionField(visual, d.column));
  const measures = visual.measures.map((m) => measureField(visual, m));
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

/** The three dashboard filters, each applied to every dataset that has the column (all of them do). */
function filterGroups(dashboard: DashboardDef, sheetId: string): FilterGroup[] {
  const dataset = dashboardDatasets(dashboard)[0] ?? "";
  const groups: FilterGroup[] = dashboard.filters.map((filter) => {
    const column = { dataSetIdentifier: dataset, columnName: filter.column };
    const filterId = `filter_${filter.column}`;
    const numeric = NUMERIC_TYPES.has(columnOf(dataset, filter.column).type);
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
 * The QuickSight definition of a dashboard (also used for the analysis): datasets keyed by view name, one sheet with the
 * title and lead, a dropdown per filter, the KPI tiles and every visual in a grid.
 */
export function quickSightDefinition(
  dashboard: DashboardDef,
  datasetArns: Record<string, string>,
): QuickSightDefinition {
  const sheetId = "overview";
  const datasets = dashboardDatasets(dashboard);
  for (const dataset of datasets) if (!datasetArns[dataset]) throw new Error(`no dataset ARN for view ${dataset}`);
  const visuals = [...dashboard.kpis.map(kpiVisual), ...dashboard.visuals.map(quickSightVisual)];
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
    filterGroups: filterGroups(dashboard, sheetId),
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

// --- The data source's role (pure) -----------------------------------------------------------------------------

/** What {@link quickSightRoleStatements} scopes the role to. */
export interface QuickSightRoleScope {
  /** The lake bucket's ARN (its partition is used for every other ARN). */
  bucketArn: string;
  /** The lake bucket's KMS key, when it is not SSE-S3. */
  kmsKeyArn?: string;
  /** The deploying account. */
  accountId: string;
  /** The stack's region (Athena's and Glue's). */
  region: string;
  /** The StarSchema's Athena workgroup. */
  workgroup: string;
  /** The Glue database of the Refined tables and views. */
  database: string;
}

/** The Athena actions QuickSight calls on the workgroup (AWSQuicksightAthenaAccess's, minus the deprecated ones). */
export const QUICKSIGHT_ATHENA_WORKGROUP_ACTIONS = [
  "athena:StartQueryExecution",
  "athena:GetQueryExecution",
  "athena:BatchGetQueryExecution",
  "athena:GetQueryResults",
  "athena:GetQueryResultsStream",
  "athena:StopQueryExecution",
  "athena:GetWorkGroup",
] as const;

/** The Athena actions on the data catalog QuickSight browses (databases, tables, columns). */
export const QUICKSIGHT_ATHENA_CATALOG_ACTIONS = [
  "athena:GetDataCatalog",
  "athena:ListDatabases",
  "athena:GetDatabase",
  "athena:ListTableMetadata",
  "athena:GetTableMetadata",
] as const;

/**
 * The Athena list actions that take no resource: IAM only matches them against `Resource: "*"`, so scoping them to
 * an ARN silently denies them (QuickSight then cannot list the workgroups and catalogs when it validates the source).
 */
export const QUICKSIGHT_ATHENA_UNSCOPED_ACTIONS = ["athena:ListDataCatalogs", "athena:ListWorkGroups"] as const;

/**
 * The statements of the role QuickSight assumes for the Athena data source: read `Refined/<table>/` and read/write
 * Athena's results prefix (plus `s3:GetBucketLocation` on the bucket, which Athena calls to check the output location
 * before running a query), query the stack's workgroup, browse the AwsDataCatalog, read the stack's Glue database,
 * and the two list actions that only exist on `*`. Pure, so policy linters and tests can check it without Pulumi.
 */
export function quickSightRoleStatements(scope: QuickSightRoleScope): PolicyStatement[] {
  const partition = /^arn:(aws[a-z-]*):/.exec(scope.bucketArn)?.[1] ?? "aws";
  const { accountId: account, region, workgroup, database } = scope;
  const refinedPrefixes = TABLES.filter((t) => t.zone === "refined").map((t) => refinedTablePrefix(t.name));
  return [
    ...s3PrefixPolicyStatements(scope.bucketArn, {
      read: [...refinedPrefixes, SYSTEM_PREFIXES.athenaResults],
      write: [SYSTEM_PREFIXES.athenaResults],
      ...(scope.kmsKeyArn ? { kmsKeyArn: scope.kmsKeyArn } : {}),
    }),
    { Sid: "LakeBucketLocation", Effect: "Allow", Action: ["s3:GetBucketLocation"], Resource: [scope.bucketArn] },
    {
      Sid: "AthenaWorkgroup",
      Effect: "Allow",
      Action: [...QUICKSIGHT_ATHENA_WORKGROUP_ACTIONS],
      Resource: [`arn:${partition}:athena:${region}:${account}:workgroup/${workgroup}`],
    },
    {
      Sid: "AthenaCatalog",
      Effect: "Allow",
      Action: [...QUICKSIGHT_ATHENA_CATALOG_ACTIONS],
      Resource: [`arn:${partition}:athena:${region}:${account}:datacatalog/AwsDataCatalog`],
    },
    { Sid: "AthenaList", Effect: "Allow", Action: [...QUICKSIGHT_ATHENA_UNSCOPED_ACTIONS], Resource: "*" },
    {
      Sid: "GlueCatalogRead",
      Effect: "Allow",
      Action: [
        "glue:GetDatabase",
        "glue:GetDatabases",
        "glue:GetTable",
        "glue:GetTables",
        "glue:GetPartition",
        "glue:GetPartitions",
        "glue:BatchGetPartition",
      ],
      Resource: [
        `arn:${partition}:glue:${region}:${account}:catalog`,
        `arn:${partition}:glue:${region}:${account}:database/${database}`,
        `arn:${partition}:glue:${region}:${account}:table/${database}/*`,
      ],
    },
  ];
}

// --- The component ---------------------------------------------------------------------------------------------

/** A view's Glue table as a Dashboard needs it: the resource to wait for, and its name and database. */
export type ViewTableRef = pulumi.Resource & { name: pulumi.Output<string>; databaseName: pulumi.Output<string> };

/** Fails (with the fix) when the principal belongs to another account than the one the stack deploys to. */
export function checkPrincipalAccount(principal: QuickSightPrincipal, account: string): void {
  if (account !== principal.accountId)
    throw new ConfigError(
      "principalArn",
      `names account ${principal.accountId} but the stack deploys to ${account}`,
      "use a QuickSight user or group of the deploying account",
    );
}

/**
 * The principal's ARN once it is known to belong to the deploying account and (unless `lookUp` is false) to exist in
 * QuickSight — which also proves the account's subscription. The account is checked first: a principal of another
 * account would otherwise fail the lookup with a misleading "no subscription". Consume the result in a resource's
 * input (the Dashboard puts it in the DataSource's tags): an output nothing consumes would reject unhandled.
 */
export function checkedPrincipal(
  principal: QuickSightPrincipal,
  accountId: pulumi.Input<string>,
  lookUp: boolean,
  opts: pulumi.InvokeOptions,
): pulumi.Output<string> {
  return pulumi.output(accountId).apply((account): Promise<string> => {
    checkPrincipalAccount(principal, account);
    return lookUp ? checkQuickSightPrincipal(principal, opts) : Promise.resolve(principal.arn);
  });
}

/** The arguments of a {@link Dashboard}. */
export interface DashboardArgs {
  /** The student or environment the stack belongs to; it is part of every name. */
  stackName: string;
  /** The StarSchema's Athena workgroup (results location and encryption enforced there). */
  workgroupName: pulumi.Input<string>;
  /** The StarSchema's Glue database holding the Refined tables and the analysis views. */
  refinedDatabaseName: pulumi.Input<string>;
  /**
   * The Glue table of each analysis view the dashboard reads (the StarSchema's `viewTables`): each DataSet depends on
   * its view's table, because QuickSight validates the SQL against the view when the DataSet is created.
   */
  viewTables: Record<string, ViewTableRef>;
  /** The lake bucket's ARN: QuickSight's role reads Refined/ and writes Athena's results prefix there. */
  lakeBucketArn: pulumi.Input<string>;
  /** The lake bucket's KMS key, when it is not SSE-S3. */
  kmsKeyArn?: pulumi.Input<string>;
  /** The QuickSight user or group that owns the assets: `arn:aws:quicksight:<region>:<account>:user/<namespace>/<name>`. */
  principalArn: string;
  /**
   * Check at deploy time that the account has a QuickSight subscription and the principal exists (default true): a
   * missing subscription then fails the update with the fix instead of a QuickSight API error halfway through.
   */
  checkSubscription?: boolean;
  /** The dashboard to build; defaults to the registry's {@link DASHBOARD}. */
  dashboard?: DashboardDef;
  /** Extra IAM statements for the data source's role (e.g. another bucket the views read). */
  extraPolicyStatements?: pulumi.Input<PolicyStatement>[];
  /** Tags for every resource. */
  tags?: Record<string, string>;
}

/** QuickSight over Athena for one stack: data source, datasets, analysis and dashboard from the visuals registry. */
export class Dashboard extends pulumi.ComponentResource {
  /** The dashboard's id (`cinelake-<stack>-dashboard`). */
  readonly dashboardId: pulumi.Output<string>;
  /** The dashboard's ARN. */
  readonly dashboardArn: pulumi.Output<string>;
  /** The analysis's ARN (edit the visuals there, then publish). */
  readonly analysisArn: pulumi.Output<string>;
  /** The Athena data source's ARN. */
  readonly dataSourceArn: pulumi.Output<string>;
  /** Dataset ARN per analysis view. */
  readonly dataSetArns: pulumi.Output<Record<string, string>>;
  /** The role QuickSight assumes to query Athena and read the lake. */
  readonly roleArn: pulumi.Output<string>;
  /** The console URL of the dashboard. */
  readonly url: pulumi.Output<string>;

  /** Builds the QuickSight assets; bad arguments fail here, before AWS is called. */
  constructor(name: string, args: DashboardArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cinelake:dashboard:Dashboard", name, args, opts);
    const stack = checkStackName(args.stackName);
    const principal = parseQuickSightPrincipal(args.principalArn);
    const dashboard = args.dashboard ?? DASHBOARD;
    const problems = validateVisuals(dashboard);
    if (problems.length)
      throw new ConfigError(
        "dashboard",
        `the visuals do not match the view registry: ${problems.join("; ")}`,
        "fix lake/visuals.ts",
      );
    const tags = { ...(args.tags ?? {}), "cinelake:stack": stack };
    const nativeTags = Object.entries(tags).map(([key, value]) => ({ key, value }));
    const parent = childOptions(this);
    const accountId = aws.getCallerIdentityOutput({}, parent).accountId;
    for (const view of dashboardDatasets(dashboard))
      if (!args.viewTables[view])
        throw new ConfigError(
          "viewTables",
          `has no Glue table for view ${view}`,
          "pass the StarSchema's viewTables (a registry view without SQL is not created, so no dataset can read it)",
        );

    // The account and subscription checks flow into the DataSource's tags, so a failure stops the deploy before
    // QuickSight is called, and is reported as that resource's error instead of an unhandled rejection.
    const checked = checkedPrincipal(principal, accountId, args.checkSubscription !== false, parent);

    // QuickSight's own role for this data source, scoped to the Refined tables and Athena's results.
    const role = new aws.iam.Role(
      `${name}-role`,
      {
        name: physicalName(stack, ["quicksight-athena"]),
        assumeRolePolicy: JSON.stringify(serviceTrustPolicy("quicksight.amazonaws.com")),
        tags,
      },
      parent,
    );
    const region = aws.getRegionOutput({}, parent).region;
    const statements = pulumi
      .all([args.lakeBucketArn, args.kmsKeyArn, accountId, region, args.workgroupName, args.refinedDatabaseName])
      .apply(([bucketArn, kmsKeyArn, account, reg, workgroup, database]) =>
        quickSightRoleStatements({
          bucketArn,
          ...(kmsKeyArn ? { kmsKeyArn } : {}),
          accountId: account,
          region: reg,
          workgroup,
          database,
        }),
      );
    const policy = new aws.iam.RolePolicy(
      `${name}-role-policy`,
      {
        role: role.name,
        policy: pulumi
          .all([statements, pulumi.output(args.extraPolicyStatements ?? [])])
          .apply(([base, extra]) => policyJson([...base, ...(extra as unknown as PolicyStatement[])])),
      },
      parent,
    );

    const owner = (actions: readonly string[]) => [{ principal: principal.arn, actions: [...actions] }];
    const dataSource = new awsnative.quicksight.DataSource(
      `${name}-athena`,
      {
        awsAccountId: accountId,
        dataSourceId: physicalName(stack, ["athena"], { maxLength: 128 }),
        name: `cinelake ${stack} – Athena (${stack})`,
        type: "ATHENA",
        dataSourceParameters: { athenaParameters: { workGroup: args.workgroupName, roleArn: role.arn } },
        permissions: owner(OWNER_ACTIONS.dataSource),
        // The checked principal flows into a tag, so the subscription check runs before QuickSight is called.
        tags: checked.apply((arn) => [...nativeTags, { key: "cinelake:owner", value: arn.split("/").pop() ?? arn }]),
      },
      childOptions(this, { dependsOn: [policy] }),
    );

    const dataSets: Record<string, awsnative.quicksight.DataSet> = {};
    for (const view of dashboardDatasets(dashboard)) {
      const id = physicalName(stack, ["ds", view.replace(/_/g, "-")], { maxLength: 128 });
      const table = args.viewTables[view]!;
      dataSets[view] = new awsnative.quicksight.DataSet(
        `${name}-${view}`,
        {
          awsAccountId: accountId,
          dataSetId: id,
          name: `cinelake ${stack} – ${view}`,
          importMode: "DIRECT_QUERY",
          physicalTableMap: {
            [physicalTableId(view)]: {
              customSql: {
                dataSourceArn: dataSource.arn,
                name: view,
                // The view's own table names the database, so the SQL reads exactly the view the DataSet waits for.
                sqlQuery: pulumi
                  .all([table.databaseName, table.name])
                  .apply(([database, viewName]) => datasetSql(database, viewName)),
                columns: datasetColumns(view),
              },
            },
          },
          permissions: owner(OWNER_ACTIONS.dataSet),
          tags: nativeTags,
        },
        // QuickSight reads the view's columns when the DataSet is created: the view must exist first.
        childOptions(this, { dependsOn: [table] }),
      );
    }
    this.dataSetArns = pulumi.all(Object.fromEntries(Object.entries(dataSets).map(([view, ds]) => [view, ds.arn])));
    const definition = this.dataSetArns.apply((arns) => quickSightDefinition(dashboard, arns));

    const analysis = new awsnative.quicksight.Analysis(
      `${name}-analysis`,
      {
        awsAccountId: accountId,
        analysisId: physicalName(stack, ["analysis"], { maxLength: 128 }),
        name: `${dashboard.title} (${stack})`,
        definition,
        permissions: owner(OWNER_ACTIONS.analysis),
        tags: nativeTags,
      },
      parent,
    );
    const dashboardResource = new awsnative.quicksight.Dashboard(
      `${name}-dashboard`,
      {
        awsAccountId: accountId,
        dashboardId: physicalName(stack, ["dashboard"], { maxLength: 128 }),
        name: `${dashboard.title} (${stack})`,
        definition,
        permissions: owner(OWNER_ACTIONS.dashboard),
        dashboardPublishOptions: {
          adHocFilteringOption: { availabilityStatus: "ENABLED" },
          exportToCsvOption: { availabilityStatus: "ENABLED" },
          sheetControlsOption: { visibilityState: "EXPANDED" },
        },
        versionDescription: "Generated from lake/visuals.ts",
        tags: nativeTags,
      },
      parent,
    );

    this.dashboardId = dashboardResource.dashboardId;
    this.dashboardArn = dashboardResource.arn;
    this.analysisArn = analysis.arn;
    this.dataSourceArn = dataSource.arn;
    this.roleArn = role.arn;
    this.url = pulumi.interpolate`https://${region}.quicksight.aws.amazon.com/sn/dashboards/${dashboardResource.dashboardId}`;
    this.registerOutputs({
      dashboardId: this.dashboardId,
      dashboardArn: this.dashboardArn,
      analysisArn: this.analysisArn,
      dataSourceArn: this.dataSourceArn,
      dataSetArns: this.dataSetArns,
      roleArn: this.roleArn,
      url: this.url,
    });
  }
}

/**
 * Looks the principal up in QuickSight; fails with the fix when the account has no QuickSight subscription or the
 * principal does not exist (the lookup is the cheapest call that needs both).
 */
export function checkQuickSightPrincipal(principal: QuickSightPrincipal, opts: pulumi.InvokeOptions): Promise<string> {
  const lookup =
    principal.kind === "user"
      ? aws.quicksight.getQuicksightUser(
          {
            userName: principal.name,
            namespace: principal.namespace,
            awsAccountId: principal.accountId,
            region: principal.region,
          },
          opts,
        )
      : aws.quicksight.getQuicksightGroup(
          {
            groupName: principal.name,
            namespace: principal.namespace,
            awsAccountId: principal.accountId,
            region: principal.region,
          },
          opts,
        );
  return (lookup as Promise<unknown>).then(
    () => principal.arn,
    (error: Error) => {
      throw new ConfigError(
        "principalArn",
        `QuickSight could not find ${principal.kind} ${principal.namespace}/${principal.name} in account ` +
          `${principal.accountId} (${error.message.split("\n")[0]}) — the account may have no QuickSight subscription`,
        `subscribe once per account and create the ${principal.kind} (docs/quicksight.md); check with ` +
          `\`aws quicksight describe-account-subscription --aws-account-id ${principal.accountId}\``,
      );
    },
  );
}
