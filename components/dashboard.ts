/**
 * Dashboard: QuickSight over Athena, generated from a visuals definition (the movies lake's is lake/visuals.ts) over
 * the views it is given (a StarSchema's). One Athena data source on the StarSchema's workgroup (with its own
 * least-privilege role), one dataset per view the visuals read, and an analysis and a dashboard whose `definition`
 * comes from dashboardDefinition.ts — for the movies lake built from the same visuals the local preview draws. `@pulumi/aws` does not expose QuickSight's `definition`, so those resources come from
 * `@pulumi/aws-native`. The account-level QuickSight subscription is a prerequisite (docs/quicksight.md), checked,
 * never created here. This file only wires: the definition and the access rules are pure modules beside it.
 */
import * as aws from "@pulumi/aws";
import * as awsnative from "@pulumi/aws-native";
import * as pulumi from "@pulumi/pulumi";
import { dashboardDatasets, validateVisuals, type DashboardDef } from "../lake/visuals";
import {
  componentOptions,
  componentType,
  lakeComponentSettings,
  nativeTags,
  type LakeComponentArgs,
} from "./component";
import type { LakeBucketRef } from "./dataLakeBucket";
import { datasetColumns, datasetSql, physicalTableId, quickSightDefinition } from "./dashboardDefinition";
import type { CatalogTableDef, CatalogViewDef } from "./glueCatalog";
import { ConfigError, physicalName } from "./naming";
import { extraStatements, policyJson, serviceTrustPolicy, type PolicyStatementArg } from "./policy";
import {
  OWNER_ACTIONS,
  checkedPrincipal,
  parseQuickSightPrincipal,
  quickSightRoleStatements,
  type QuickSightPrincipal,
} from "./quickSightAccess";
import { childOptions } from "./resourceOptions";

// Importers of the Dashboard also get its pure parts, as before the split.
export * from "./dashboardDefinition";
export * from "./quickSightAccess";

/**
 * A dashboard to build, in the shape of lake/visuals.ts's `DashboardDef` (`title`, `lead`, `kpis`, `visuals`,
 * `filters`). Typed loosely so Pulumi's schema inference (and so every Pulumi language) can pass one; the Dashboard
 * checks it against the views it is given before anything is created.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the schema's "any object"; checked at construction
export type DashboardDefinitionArg = Record<string, any>;

/** The arguments of a {@link Dashboard}. */
export interface DashboardArgs extends LakeComponentArgs {
  /** The lake bucket (a DataLakeBucket): QuickSight's role reads Refined/ and writes Athena's results prefix there. */
  bucket: LakeBucketRef;
  /** The StarSchema's Athena workgroup (results location and encryption enforced there). */
  workgroupName: pulumi.Input<string>;
  /** The StarSchema's Glue database holding the Refined tables and the analysis views. */
  refinedDatabaseName: pulumi.Input<string>;
  /**
   * The tables the StarSchema catalogs (the movies lake passes lake/tables.ts's `TABLES`): QuickSight's role may
   * read the locations of the Refined ones, which the views select from, and nothing else of the lake.
   */
  tables: CatalogTableDef[];
  /**
   * The views the StarSchema creates (the movies lake passes lake/tables.ts's `VIEWS`): the visuals are checked
   * against their columns, and each dataset selects every column of its view.
   */
  views: CatalogViewDef[];
  /**
   * The Glue table of each analysis view the dashboard reads, by view name (the StarSchema's `viewTables`): each
   * DataSet depends on its view's table, because QuickSight validates the SQL against the view when the DataSet is
   * created.
   */
  viewTables: Record<string, aws.glue.CatalogTable>;
  /**
   * The QuickSight user or group that owns the assets: `arn:aws:quicksight:<region>:<account>:user/<namespace>/<name>`
   * (e.g. an `aws.quicksight.User`'s `arn`). A plain value is checked at construction, an output when it is known.
   */
  principalArn: pulumi.Input<string>;
  /**
   * Check at deploy time that the account has a QuickSight subscription and the principal exists (default true): a
   * missing subscription then fails the update with the fix instead of a QuickSight API error halfway through.
   */
  checkSubscription?: boolean;
  /** The dashboard to build (a `DashboardDef` of lake/visuals.ts: the movies lake passes its `DASHBOARD`). */
  dashboard: DashboardDefinitionArg;
  /** Extra IAM statements for the data source's role (e.g. another bucket the views read). */
  extraPolicyStatements?: pulumi.Input<PolicyStatementArg>[];
}

/** QuickSight over Athena for one stack: data source, datasets, analysis and dashboard from a visuals definition. */
export class Dashboard extends pulumi.ComponentResource {
  /** The dashboard's id (`cinelake-<stack>-dashboard`). */
  readonly dashboardId: pulumi.Output<string>;
  /** The dashboard's ARN. */
  readonly dashboardArn: pulumi.Output<string>;
  /** The analysis's id (`cinelake-<stack>-analysis`). */
  readonly analysisId: pulumi.Output<string>;
  /** The analysis's ARN (edit the visuals there, then publish). */
  readonly analysisArn: pulumi.Output<string>;
  /** The Athena data source's id (`cinelake-<stack>-athena`). */
  readonly dataSourceId: pulumi.Output<string>;
  /** The Athena data source's ARN. */
  readonly dataSourceArn: pulumi.Output<string>;
  /** Dataset ARN per analysis view. */
  readonly dataSetArns: pulumi.Output<Record<string, string>>;
  /** The ARN of the role QuickSight assumes to query Athena and read the lake. */
  readonly roleArn: pulumi.Output<string>;
  /** That role's name (`cinelake-<stack>-quicksight-athena`), e.g. to attach more policies. */
  readonly roleName: pulumi.Output<string>;
  /** The console URL of the dashboard. */
  readonly url: pulumi.Output<string>;

  /** Builds the QuickSight assets; bad arguments fail here, before anything is registered or AWS is called. */
  constructor(name: string, args: DashboardArgs, opts?: pulumi.ComponentResourceOptions) {
    // Validate everything first: nothing is registered if an argument is wrong.
    const { stackName: stack, namePrefix: prefix, tags } = lakeComponentSettings(args);
    // A plain ARN is checked now; an output (e.g. a QuickSight user created in the same program) once known.
    const principal: QuickSightPrincipal | undefined =
      typeof args.principalArn === "string" ? parseQuickSightPrincipal(args.principalArn) : undefined;
    const views = checkViews(args.tables, args.views);
    const dashboard = checkDashboard(args.dashboard, views);
    for (const view of dashboardDatasets(dashboard))
      if (!args.viewTables?.[view])
        throw new ConfigError(
          "viewTables",
          `has no Glue table for view ${view}`,
          "pass the StarSchema's viewTables (a view without SQL is not created, so no dataset can read it)",
        );
    const names = {
      role: physicalName(stack, ["quicksight-athena"], { prefix }),
      dataSource: physicalName(stack, ["athena"], { maxLength: 128, prefix }),
      analysis: physicalName(stack, ["analysis"], { maxLength: 128, prefix }),
      dashboard: physicalName(stack, ["dashboard"], { maxLength: 128, prefix }),
      dataSet: (view: string) => physicalName(stack, ["ds", view.replace(/_/g, "-")], { maxLength: 128, prefix }),
    };
    for (const view of dashboardDatasets(dashboard)) names.dataSet(view);

    super(componentType("Dashboard"), name, args, componentOptions("cinelake:dashboard:Dashboard", opts));
    const awsTags = tags;
    const qsTags = nativeTags(tags);
    const parent = childOptions(this);
    const accountId = aws.getCallerIdentityOutput({}, parent).accountId;
    const principalArn = pulumi.output(args.principalArn);

    // The account and subscription checks flow into the DataSource's tags, so a failure stops the deploy before
    // QuickSight is called, and is reported as that resource's error instead of an unhandled rejection.
    const checkSubscription = args.checkSubscription !== false;
    const checked = principal
      ? checkedPrincipal(principal, accountId, checkSubscription, parent)
      : principalArn.apply((arn) =>
          checkedPrincipal(parseQuickSightPrincipal(arn), accountId, checkSubscription, parent),
        );

    // QuickSight's own role for this data source, scoped to the Refined tables and Athena's results.
    const role = new aws.iam.Role(
      `${name}-role`,
      {
        name: names.role,
        assumeRolePolicy: JSON.stringify(serviceTrustPolicy("quicksight.amazonaws.com")),
        tags: awsTags,
      },
      parent,
    );
    const region = aws.getRegionOutput({}, parent).region;
    const statements = pulumi
      .all([
        args.bucket.bucketArn,
        args.bucket.kmsKeyArn,
        accountId,
        region,
        args.workgroupName,
        args.refinedDatabaseName,
      ])
      .apply(([bucketArn, kmsKeyArn, account, reg, workgroup, database]) =>
        quickSightRoleStatements({
          bucketArn,
          ...(kmsKeyArn ? { kmsKeyArn } : {}),
          accountId: account,
          region: reg,
          workgroup,
          database,
          tablePrefixes: args.tables.filter((table) => table.zone === "refined").map((table) => table.location),
        }),
      );
    const policy = new aws.iam.RolePolicy(
      `${name}-role-policy`,
      {
        role: role.name,
        policy: pulumi
          .all([statements, pulumi.output(args.extraPolicyStatements ?? [])])
          .apply(([base, extra]) => policyJson([...base, ...extraStatements(extra)])),
      },
      parent,
    );

    const owner = (actions: readonly string[]) => [{ principal: principalArn, actions: [...actions] }];
    const dataSource = new awsnative.quicksight.DataSource(
      `${name}-athena`,
      {
        awsAccountId: accountId,
        dataSourceId: names.dataSource,
        name: `${prefix} ${stack} – Athena (${stack})`,
        type: "ATHENA",
        dataSourceParameters: { athenaParameters: { workGroup: args.workgroupName, roleArn: role.arn } },
        permissions: owner(OWNER_ACTIONS.dataSource),
        // The checked principal flows into a tag, so the subscription check runs before QuickSight is called.
        tags: checked.apply((arn) => [...qsTags, { key: "cinelake:owner", value: arn.split("/").pop() ?? arn }]),
      },
      childOptions(this, { dependsOn: [policy] }),
    );

    const dataSets: Record<string, awsnative.quicksight.DataSet> = {};
    for (const view of dashboardDatasets(dashboard)) {
      const table = args.viewTables[view]!;
      const columns = views.find((candidate) => candidate.name === view)!.columns;
      dataSets[view] = new awsnative.quicksight.DataSet(
        `${name}-${view}`,
        {
          awsAccountId: accountId,
          dataSetId: names.dataSet(view),
          name: `${prefix} ${stack} – ${view}`,
          importMode: "DIRECT_QUERY",
          physicalTableMap: {
            [physicalTableId(view)]: {
              customSql: {
                dataSourceArn: dataSource.arn,
                name: view,
                // The view's own table names the database, so the SQL reads exactly the view the DataSet waits for.
                sqlQuery: pulumi
                  .all([table.databaseName, table.name])
                  .apply(([database, viewName]) => datasetSql(database, viewName, columns)),
                columns: datasetColumns(columns),
              },
            },
          },
          permissions: owner(OWNER_ACTIONS.dataSet),
          tags: qsTags,
        },
        // QuickSight reads the view's columns when the DataSet is created: the view must exist first.
        childOptions(this, { dependsOn: [table] }),
      );
    }
    this.dataSetArns = pulumi.all(Object.fromEntries(Object.entries(dataSets).map(([view, ds]) => [view, ds.arn])));
    const definition = this.dataSetArns.apply((arns) => quickSightDefinition(dashboard, arns, views));

    const analysis = new awsnative.quicksight.Analysis(
      `${name}-analysis`,
      {
        awsAccountId: accountId,
        analysisId: names.analysis,
        name: `${dashboard.title} (${stack})`,
        definition,
        permissions: owner(OWNER_ACTIONS.analysis),
        tags: qsTags,
      },
      parent,
    );
    const dashboardResource = new awsnative.quicksight.Dashboard(
      `${name}-dashboard`,
      {
        awsAccountId: accountId,
        dashboardId: names.dashboard,
        name: `${dashboard.title} (${stack})`,
        definition,
        permissions: owner(OWNER_ACTIONS.dashboard),
        dashboardPublishOptions: {
          adHocFilteringOption: { availabilityStatus: "ENABLED" },
          exportToCsvOption: { availabilityStatus: "ENABLED" },
          sheetControlsOption: { visibilityState: "EXPANDED" },
        },
        versionDescription: "Generated from lake/visuals.ts",
        tags: qsTags,
      },
      parent,
    );

    this.dashboardId = dashboardResource.dashboardId;
    this.dashboardArn = dashboardResource.arn;
    this.analysisId = analysis.analysisId;
    this.analysisArn = analysis.arn;
    // The id is set here, so it is known; the provider types it as optional only because QuickSight could generate one.
    this.dataSourceId = dataSource.dataSourceId.apply((id) => id ?? names.dataSource);
    this.dataSourceArn = dataSource.arn;
    this.roleArn = role.arn;
    this.roleName = role.name;
    this.url = pulumi.interpolate`https://${region}.quicksight.aws.amazon.com/sn/dashboards/${dashboardResource.dashboardId}`;
    this.registerOutputs({
      dashboardId: this.dashboardId,
      dashboardArn: this.dashboardArn,
      analysisId: this.analysisId,
      analysisArn: this.analysisArn,
      dataSourceId: this.dataSourceId,
      dataSourceArn: this.dataSourceArn,
      dataSetArns: this.dataSetArns,
      roleArn: this.roleArn,
      roleName: this.roleName,
      url: this.url,
    });
  }
}

/** The views to draw from, checked: lists of named views with columns, and the tables as a list. */
function checkViews(tables: CatalogTableDef[] | undefined, views: CatalogViewDef[] | undefined): CatalogViewDef[] {
  if (!Array.isArray(tables))
    throw new ConfigError("tables", "is missing", "pass the tables the StarSchema catalogs, e.g. tables: [...TABLES]");
  if (!Array.isArray(views) || views.some((view) => typeof view?.name !== "string" || !Array.isArray(view.columns)))
    throw new ConfigError(
      "views",
      "is not a list of views",
      "pass the views the StarSchema creates, e.g. views: [...VIEWS]",
    );
  return views;
}

/** The dashboard to build, checked: its shape, then its visuals against the views it draws from. */
function checkDashboard(value: DashboardDefinitionArg | undefined, views: readonly CatalogViewDef[]): DashboardDef {
  const fix = "pass a DashboardDef of lake/visuals.ts (title, lead, kpis, visuals, filters)";
  if (typeof value !== "object" || value === null) throw new ConfigError("dashboard", "is not an object", fix);
  for (const key of ["title", "lead"])
    if (typeof value[key] !== "string") throw new ConfigError("dashboard", `has no string "${key}"`, fix);
  for (const key of ["kpis", "visuals", "filters"])
    if (!Array.isArray(value[key])) throw new ConfigError("dashboard", `has no list "${key}"`, fix);
  const dashboard = value as DashboardDef;
  const problems = validateVisuals(dashboard, views);
  if (problems.length)
    throw new ConfigError(
      "dashboard",
      `the visuals do not match the view registry: ${problems.join("; ")}`,
      "fix the visuals (the movies lake's are lake/visuals.ts), or pass the views they read",
    );
  return dashboard;
}
