/**
 * StarSchema: a lake's catalog, built from the table and view registry it is given (the movies lake's is
 * lake/tables.ts). Glue databases for the Trusted and Refined zones, one external Parquet table per registry table
 * (partition projection for `dt`, so no crawler), the analysis views as Glue views in Athena's own encoding (present
 * right after `pulumi up`), an Athena workgroup whose encrypted results stay in the lake, and optionally a Glue
 * workflow running the Trusted jobs, then Refined. Every physical name starts with the name prefix, so a second lake
 * in the same stack and account takes its own (`books_<stack>_trusted`, `books-<stack>`).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { componentOptions, componentType, lakeComponentSettings, type LakeComponentArgs } from "./component";
import type { LakeBucketRef } from "./dataLakeBucket";
import {
  PARQUET_STORAGE,
  PRESTO_VIEW_EXPANDED_TEXT,
  checkCatalogName,
  encodePrestoView,
  glueColumns,
  partitionProjectionParameters,
  prestoViewDefinition,
  tableLocation,
  type CatalogTableDef,
  type CatalogViewDef,
  type CatalogZone,
} from "./glueCatalog";
import { SYSTEM_PREFIXES } from "../lake/paths";
import { ConfigError, DEFAULT_NAME_PREFIX, NAME_LIMITS, catalogName, physicalName } from "./naming";
import { childOptions } from "./resourceOptions";
import { checkCron } from "./schedule";
import type { GlueJobRef } from "./sparkJob";

/**
 * The Glue workflow of the lake's jobs: every Trusted job (in parallel), then the Refined job once all succeeded. Give
 * those SparkJobs no `schedule` or `startAfter` of their own, or they would also run outside the workflow.
 */
export interface PipelineArgs {
  /** The Trusted jobs, started together (e.g. SparkJobs, or `{ jobName }` of any Glue job). */
  trusted: GlueJobRef[];
  /** The Refined job, started once every Trusted job succeeded. */
  refined: GlueJobRef;
  /** Start the workflow on this Glue cron schedule (e.g. `cron(0 7 * * ? *)`); on demand when absent. */
  schedule?: string;
}

/** The arguments of a {@link StarSchema}. */
export interface StarSchemaArgs extends LakeComponentArgs {
  /** The lake bucket (DataLakeBucket's outputs): table locations and Athena results live in it. */
  bucket: LakeBucketRef;
  /** The tables to catalog (the movies lake passes lake/tables.ts's `TABLES`). */
  tables: CatalogTableDef[];
  /** The analysis views, created in the Refined database (a view without SQL yet is skipped with a warning); none by default. */
  views?: CatalogViewDef[];
  /** The first day `dt` partitions are projected from (`YYYY-MM-DD`); default 2020-01-01. */
  projectionStartDate?: string;
  /** Projection settings for partition keys other than `dt`, per table: `{ table: { "projection.k.type": ... } }`. */
  partitionProjection?: Record<string, Record<string, string>>;
  /** Encrypt Athena's results with this KMS key (SSE_KMS); default the bucket's key when it has one, else SSE_S3. */
  athenaKmsKeyArn?: pulumi.Input<string>;
  /** Cancel any Athena query of the workgroup that would scan more bytes than this (a cost guard); none by default. */
  bytesScannedCutoffPerQuery?: number;
  /** Run the Trusted jobs then the Refined job in a Glue workflow; none by default. */
  pipeline?: PipelineArgs;
}

/** Athena's smallest per-query scan limit (10 MB). */
export const MIN_BYTES_SCANNED_CUTOFF = 10_000_000;

/** The Glue database names of a stack's zones: `<prefix>_<stack>_trusted` and `<prefix>_<stack>_refined`. */
export function databaseNames(stackName: string, namePrefix = DEFAULT_NAME_PREFIX): Record<CatalogZone, string> {
  return {
    trusted: catalogName(stackName, ["trusted"], namePrefix),
    refined: catalogName(stackName, ["refined"], namePrefix),
  };
}

/** Checks the tables and views the component is given: unique lowercase names, locations that are prefixes. */
function checkRegistry(tables: readonly CatalogTableDef[], views: readonly CatalogViewDef[]): void {
  const names = new Set<string>();
  for (const item of [...tables, ...views]) {
    checkCatalogName(item.name, `table ${item.name}`);
    if (names.has(item.name))
      throw new ConfigError(`table ${item.name}`, "is defined twice", "give every table and view its own name");
    names.add(item.name);
  }
  for (const table of tables)
    if (!table.location.endsWith("/") || table.location.startsWith("/"))
      throw new ConfigError(`table ${table.name}`, `location "${table.location}" is not a prefix`, "use lakePaths");
    else if (!["trusted", "refined"].includes(table.zone))
      throw new ConfigError(`table ${table.name}`, `zone "${table.zone}" is not a zone`, 'use "trusted" or "refined"');
}

/** The checked arguments of a StarSchema: the common settings, its tables, the views to create and those without SQL. */
export function checkStarSchemaArgs(args: StarSchemaArgs): ReturnType<typeof lakeComponentSettings> & {
  tables: readonly CatalogTableDef[];
  views: readonly CatalogViewDef[];
  pending: string[];
} {
  const common = lakeComponentSettings(args);
  if (!Array.isArray(args.tables))
    throw new ConfigError("tables", "is missing", "pass the registry's tables, e.g. tables: [...TABLES]");
  const tables = args.tables;
  const allViews = args.views ?? [];
  checkRegistry(tables, allViews);
  for (const item of [...tables, ...allViews]) glueColumns(item.columns, item.name);
  for (const table of tables) {
    glueColumns(table.partitionKeys, table.name);
    // A stand-in bucket: only the settings are checked here, the real location is filled in at deploy.
    partitionProjectionParameters(table, "bucket", {
      startDate: args.projectionStartDate,
      extra: args.partitionProjection?.[table.name],
    });
  }
  for (const table of Object.keys(args.partitionProjection ?? {}))
    if (!tables.some((candidate) => candidate.name === table))
      throw new ConfigError(`partitionProjection.${table}`, "names no table", "use a table name of the registry");
  if (args.bytesScannedCutoffPerQuery !== undefined && !(args.bytesScannedCutoffPerQuery >= MIN_BYTES_SCANNED_CUTOFF))
    throw new ConfigError(
      "bytesScannedCutoffPerQuery",
      `${args.bytesScannedCutoffPerQuery} is below Athena's minimum of ${MIN_BYTES_SCANNED_CUTOFF} bytes`,
      "use at least 10000000 (10 MB) or leave it out",
    );
  if (args.pipeline) {
    if (args.pipeline.trusted.length === 0)
      throw new ConfigError("pipeline.trusted", "is empty", "pass the Trusted SparkJobs the Refined job reads");
    if (args.pipeline.schedule !== undefined) checkCron(args.pipeline.schedule, "pipeline.schedule");
  }
  const views = allViews.filter((view) => view.sql.trim() !== "");
  const pending = allViews.filter((view) => view.sql.trim() === "").map((view) => view.name);
  return { ...common, tables, views, pending };
}

/** The Glue databases, tables and views of the lake, its Athena workgroup and (optionally) its job workflow. */
export class StarSchema extends pulumi.ComponentResource {
  /** The Trusted zone's Glue database. */
  readonly trustedDatabaseName: pulumi.Output<string>;
  /** The Refined zone's Glue database (the views live here too). */
  readonly refinedDatabaseName: pulumi.Output<string>;
  /** The Athena workgroup the dashboard and analysts query through. */
  readonly workgroupName: pulumi.Output<string>;
  /** Where Athena writes query results: `s3://<bucket>/_system/athena-results/`. */
  readonly athenaResultsLocation: pulumi.Output<string>;
  /** The Glue workflow's name, when a pipeline was given. */
  readonly workflowName: pulumi.Output<string | undefined>;
  /** The cataloged table names. */
  readonly tableNames: string[];
  /** The view names created (registry views that have SQL). */
  readonly viewNames: string[];
  /**
   * The Glue table of each view created, by view name: what reads a view (the Dashboard's datasets) depends on it,
   * so nothing queries a view before `pulumi up` has created it.
   */
  readonly viewTables: Record<string, aws.glue.CatalogTable>;

  /** Creates the databases, tables, views, workgroup and workflow. */
  constructor(name: string, args: StarSchemaArgs, opts?: pulumi.ComponentResourceOptions) {
    // Checked before registering anything, so bad input leaves no half-built component behind.
    const { stackName, namePrefix, tags, tables, views, pending } = checkStarSchemaArgs(args);
    super(componentType("StarSchema"), name, args, componentOptions("cinelake:catalog:StarSchema", opts));
    if (pending.length) pulumi.log.warn(`views without SQL yet, not created: ${pending.join(", ")}`, this);
    const projection = (table: CatalogTableDef, bucket: string) =>
      partitionProjectionParameters(table, bucket, {
        startDate: args.projectionStartDate,
        extra: args.partitionProjection?.[table.name],
      });

    const parent = childOptions(this);
    const bucketName = pulumi.output(args.bucket.bucketName);
    const dbNames = databaseNames(stackName, namePrefix);
    const databases = {
      trusted: new aws.glue.CatalogDatabase(
        `${name}-trusted`,
        { name: dbNames.trusted, description: `Trusted zone of the ${stackName} lake: typed, clean tables.`, tags },
        parent,
      ),
      refined: new aws.glue.CatalogDatabase(
        `${name}-refined`,
        { name: dbNames.refined, description: `Refined zone of the ${stackName} lake: star schema and views.`, tags },
        parent,
      ),
    };

    const refinedTables: aws.glue.CatalogTable[] = [];
    for (const table of tables) {
      const columns = glueColumns(table.columns, table.name);
      const partitionKeys = glueColumns(table.partitionKeys, table.name);
      const resource = new aws.glue.CatalogTable(
        `${name}-${table.name}`,
        {
          name: table.name,
          databaseName: databases[table.zone].name,
          description: table.description,
          tableType: "EXTERNAL_TABLE",
          parameters: bucketName.apply((bucket) => ({
            EXTERNAL: "TRUE",
            classification: "parquet",
            ...projection(table, bucket),
          })),
          partitionKeys,
          storageDescriptor: {
            location: bucketName.apply((bucket) => tableLocation(bucket, table)),
            inputFormat: PARQUET_STORAGE.inputFormat,
            outputFormat: PARQUET_STORAGE.outputFormat,
            serDeInfo: {
              name: table.name,
              serializationLibrary: PARQUET_STORAGE.serializationLibrary,
              parameters: { "serialization.format": "1" },
            },
            columns,
          },
        },
        parent,
      );
      if (table.zone === "refined") refinedTables.push(resource);
    }

    const viewTables: Record<string, aws.glue.CatalogTable> = {};
    for (const view of views) {
      // The encoding's schema is the database the view's unqualified table names resolve in.
      const definition = databases.refined.name.apply((schema) => prestoViewDefinition(view, schema));
      viewTables[view.name] = new aws.glue.CatalogTable(
        `${name}-${view.name}`,
        {
          name: view.name,
          databaseName: databases.refined.name,
          description: view.description,
          tableType: "VIRTUAL_VIEW",
          viewOriginalText: definition.apply(encodePrestoView),
          viewExpandedText: PRESTO_VIEW_EXPANDED_TEXT,
          parameters: { presto_view: "true", comment: "Presto View" },
          storageDescriptor: {
            // Glue keeps Hive types for a view's columns; Athena reads the Presto types from the encoding.
            columns: glueColumns(view.columns, view.name),
            serDeInfo: { name: "-", serializationLibrary: "-" },
          },
        },
        childOptions(this, { dependsOn: refinedTables }),
      );
    }

    const resultsLocation = pulumi.interpolate`s3://${bucketName}/${SYSTEM_PREFIXES.athenaResults}`;
    const workgroup = new aws.athena.Workgroup(
      `${name}-workgroup`,
      {
        name: physicalName(stackName, [], { maxLength: 128, prefix: namePrefix }),
        description: `Athena workgroup of the ${stackName} lake (results in the lake, encrypted, settings enforced).`,
        // Query history is disposable; without this a workgroup that ever ran a query blocks `pulumi destroy`.
        forceDestroy: true,
        configuration: {
          enforceWorkgroupConfiguration: true,
          publishCloudwatchMetricsEnabled: true,
          bytesScannedCutoffPerQuery: args.bytesScannedCutoffPerQuery,
          engineVersion: { selectedEngineVersion: "Athena engine version 3" },
          resultConfiguration: {
            outputLocation: resultsLocation,
            encryptionConfiguration: pulumi
              .output(args.athenaKmsKeyArn ?? args.bucket.kmsKeyArn)
              .apply((kmsKeyArn) =>
                kmsKeyArn ? { encryptionOption: "SSE_KMS", kmsKeyArn } : { encryptionOption: "SSE_S3" },
              ),
          },
        },
        tags,
      },
      parent,
    );

    let workflow: aws.glue.Workflow | undefined;
    if (args.pipeline) {
      const { trusted, refined, schedule } = args.pipeline;
      workflow = new aws.glue.Workflow(
        `${name}-pipeline`,
        {
          name: physicalName(stackName, ["pipeline"], { maxLength: NAME_LIMITS.glue, prefix: namePrefix }),
          description: "Trusted jobs (in parallel), then the Refined job once every Trusted job succeeded.",
          // Each job replaces its outputs, so two runs of the pipeline at once would race.
          maxConcurrentRuns: 1,
          tags,
        },
        parent,
      );
      new aws.glue.Trigger(
        `${name}-pipeline-start`,
        {
          name: physicalName(stackName, ["pipeline", "start"], { maxLength: NAME_LIMITS.glue, prefix: namePrefix }),
          workflowName: workflow.name,
          type: schedule ? "SCHEDULED" : "ON_DEMAND",
          schedule: schedule?.trim(),
          // Glue refuses startOnCreation for on-demand triggers; scheduled ones must be started to fire.
          startOnCreation: schedule ? true : undefined,
          actions: trusted.map((job) => ({ jobName: job.jobName })),
          tags,
        },
        parent,
      );
      new aws.glue.Trigger(
        `${name}-pipeline-refined`,
        {
          name: physicalName(stackName, ["pipeline", "refined"], { maxLength: NAME_LIMITS.glue, prefix: namePrefix }),
          workflowName: workflow.name,
          type: "CONDITIONAL",
          startOnCreation: true,
          predicate: {
            logical: "AND",
            conditions: trusted.map((job) => ({ jobName: job.jobName, state: "SUCCEEDED", logicalOperator: "EQUALS" })),
          },
          actions: [{ jobName: refined.jobName }],
          tags,
        },
        parent,
      );
    }

    this.trustedDatabaseName = databases.trusted.name;
    this.refinedDatabaseName = databases.refined.name;
    this.workgroupName = workgroup.name;
    this.athenaResultsLocation = resultsLocation;
    this.workflowName = workflow ? workflow.name : pulumi.output(undefined);
    this.tableNames = tables.map((table) => table.name);
    this.viewNames = views.map((view) => view.name);
    this.viewTables = viewTables;
    this.registerOutputs({
      trustedDatabaseName: this.trustedDatabaseName,
      refinedDatabaseName: this.refinedDatabaseName,
      workgroupName: this.workgroupName,
      athenaResultsLocation: this.athenaResultsLocation,
      workflowName: this.workflowName,
      tableNames: this.tableNames,
      viewNames: this.viewNames,
    });
  }
}
