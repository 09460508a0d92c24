/**
 * The movies & series lake of one stack: the six components wired together through their typed outputs.
 * `buildLake` is called by programs/index.ts (the Pulumi program) and directly by the tests.
 */
import * as pulumi from "@pulumi/pulumi";
import { ApiIngestor } from "../components/apiIngestor";
import { BatchIngestor } from "../components/batchIngestor";
import { Dashboard } from "../components/dashboard";
import { DataLakeBucket } from "../components/dataLakeBucket";
import { LakeAlerts } from "../components/lakeAlerts";
import { GLUE_SHARED_PACKAGE, JOBS, JOB_NAMES, jobArguments, type JobName } from "../lake/jobs";
import { SparkJob, type SparkJobDefinition } from "../components/sparkJob";
import { StarSchema } from "../components/starSchema";
import { TABLES, VIEWS } from "../lake/tables";
import { DASHBOARD } from "../lake/visuals";
import type { LakeConfig } from "./config";

/** What the program builds, for tests and for the stack outputs. */
export interface Lake {
  /** The lake bucket. */
  bucket: DataLakeBucket;
  /** The CSV loader (container). */
  batchIngestor: BatchIngestor;
  /** The TMDB loader (Lambda). */
  apiIngestor: ApiIngestor;
  /** The three Glue jobs, by job name. */
  sparkJobs: Record<JobName, SparkJob>;
  /** Glue catalog, Athena views and workgroup, and the Trusted → Refined workflow. */
  starSchema: StarSchema;
  /** The QuickSight dashboard, unless turned off. */
  dashboard?: Dashboard;
  /** The alert topic, hearing failed Glue runs, Lambda errors and the on-failure queue. */
  alerts: LakeAlerts;
  /** The stack outputs. */
  outputs: LakeOutputs;
}

/** The stack outputs (issue 7): what a student needs after `pulumi up`. */
export interface LakeOutputs {
  /** The lake bucket's name. */
  bucket: pulumi.Output<string>;
  /** The zones' `s3://` URIs. */
  zones: pulumi.Output<{ raw: string; trusted: string; refined: string }>;
  /** `docker run ...`: loads the CSVs of the current folder into the Raw zone. */
  dockerRunCommand: pulumi.Output<string>;
  /** `aws ecr get-login-password | docker login ...`, to run first. */
  dockerLoginCommand: pulumi.Output<string>;
  /** The role to assume for running the container (undefined when an existing role or user was given). */
  batchIngestorRoleArn: pulumi.Output<string | undefined>;
  /** The ApiIngestor Lambda's name. */
  lambdaName: pulumi.Output<string>;
  /** The Glue job names, by job. */
  glueJobNames: pulumi.Output<Record<JobName, string>>;
  /** The Glue workflow running Trusted then Refined. */
  glueWorkflowName: pulumi.Output<string | undefined>;
  /** The Athena workgroup. */
  athenaWorkgroup: pulumi.Output<string>;
  /** The Glue database holding the Refined tables and views. */
  refinedDatabase: pulumi.Output<string>;
  /** The QuickSight dashboard's id, or undefined when turned off. */
  dashboardId: pulumi.Output<string | undefined>;
  /** The QuickSight dashboard's console URL, or undefined when turned off. */
  dashboardUrl: pulumi.Output<string | undefined>;
  /** The SNS topic the lake's failures are sent to (subscribe to it, or set cinelake:alertEmail). */
  alertTopicArn: pulumi.Output<string>;
}

/**
 * A job of lake/jobs.ts as SparkJob deploys it on a bucket: its script and prefixes, with its default arguments there
 * (`--lake_root s3://<bucket>/`, `--date latest` and its prefixes). Its Python package is {@link GLUE_SHARED_PACKAGE}.
 */
export function lakeSparkJob(job: JobName, bucketName: string): SparkJobDefinition {
  return { ...JOBS[job], arguments: jobArguments(job, `s3://${bucketName}/`) };
}

/**
 * Already-built code to deploy instead of bundling the runtime at deploy time (tests use it to check the wiring
 * without running esbuild; the components' own tests check the bundling).
 */
export interface PrebuiltCode {
  /** The BatchIngestor image's build context and Dockerfile. */
  batchImage?: { context: string; dockerfile: string };
  /** The ApiIngestor's handler and layer archives. */
  apiIngestor?: { code: pulumi.asset.Archive; layerCode: pulumi.asset.Archive };
}

/** Builds one stack's lake from a checked configuration. */
export function buildLake(
  config: LakeConfig,
  opts: pulumi.ComponentResourceOptions = {},
  prebuilt: PrebuiltCode = {},
): Lake {
  const stackName = config.student;
  const tags = { student: config.student };

  const bucket = new DataLakeBucket(
    "lake",
    {
      stackName,
      forceDestroy: config.forceDestroy,
      ...(config.bucketSuffix !== undefined ? { bucketSuffix: config.bucketSuffix } : {}),
      ...(config.kmsKeyArn !== undefined ? { kmsKeyArn: config.kmsKeyArn } : {}),
      tags,
    },
    opts,
  );

  const batchIngestor = new BatchIngestor(
    "batch-ingestor",
    {
      stackName,
      bucket,
      forceDestroy: config.forceDestroy,
      ...(config.batchIngestorPrincipal && "roleName" in config.batchIngestorPrincipal
        ? { attachToRoleName: config.batchIngestorPrincipal.roleName }
        : {}),
      ...(config.batchIngestorPrincipal && "userName" in config.batchIngestorPrincipal
        ? { attachToUserName: config.batchIngestorPrincipal.userName }
        : {}),
      ...(prebuilt.batchImage ? { image: prebuilt.batchImage } : {}),
      tags,
    },
    opts,
  );

  const apiIngestor = new ApiIngestor(
    "api-ingestor",
    {
      stackName,
      bucket,
      tmdbToken: config.tmdbToken,
      selection: config.selection,
      // The config's "off" (false) is the component's explicit switch.
      ...(config.apiSchedule === false ? { scheduleEnabled: false } : { schedule: config.apiSchedule }),
      memoryMb: config.apiMemoryMb,
      timeoutSeconds: config.apiTimeoutSeconds,
      ...(config.apiReservedConcurrency === false
        ? { reservedConcurrencyEnabled: false }
        : { reservedConcurrency: config.apiReservedConcurrency }),
      forceDestroy: config.forceDestroy,
      ...(config.tmdbBaseUrl !== undefined ? { tmdbBaseUrl: config.tmdbBaseUrl } : {}),
      ...(prebuilt.apiIngestor ?? {}),
      tags,
    },
    opts,
  );

  // No trigger of their own: the StarSchema's workflow runs the Trusted jobs, then Refined once both succeeded.
  const sparkJobs = Object.fromEntries(
    JOB_NAMES.map((job) => [
      job,
      new SparkJob(
        `job-${job}`,
        {
          bucket,
          job: lakeSparkJob(job, bucket.plannedBucketName),
          packageDir: GLUE_SHARED_PACKAGE,
          stackName,
          workerType: config.glue.workerType,
          numberOfWorkers: config.glue.numberOfWorkers,
          timeoutMinutes: config.glue.timeoutMinutes,
          tags,
        },
        opts,
      ),
    ]),
  ) as Record<JobName, SparkJob>;

  const starSchema = new StarSchema(
    "star-schema",
    {
      bucket,
      // The movies registry (lake/tables.ts); another lake passes its own.
      tables: [...TABLES],
      views: [...VIEWS],
      stackName,
      pipeline: {
        trusted: [sparkJobs["trusted-csv"], sparkJobs["trusted-tmdb"]],
        refined: sparkJobs.refined,
        ...(config.pipelineSchedule !== undefined ? { schedule: config.pipelineSchedule } : {}),
      },
      tags,
    },
    opts,
  );

  const dashboard =
    config.quicksightPrincipalArn === undefined
      ? undefined
      : new Dashboard(
          "dashboard",
          {
            stackName,
            workgroupName: starSchema.workgroupName,
            refinedDatabaseName: starSchema.refinedDatabaseName,
            viewTables: starSchema.viewTables,
            // The movies registry and its visuals (lake/tables.ts, lake/visuals.ts); another lake passes its own.
            tables: [...TABLES],
            views: [...VIEWS],
            dashboard: DASHBOARD,
            bucket,
            principalArn: config.quicksightPrincipalArn,
            checkSubscription: config.quicksightCheckSubscription,
            tags,
          },
          opts,
        );

  const alerts = new LakeAlerts(
    "alerts",
    {
      stackName,
      glueJobNames: JOB_NAMES.map((job) => sparkJobs[job].jobName),
      lambdaFunctionName: apiIngestor.functionName,
      failureQueueName: apiIngestor.deadLetterQueueName,
      ...(config.alertEmail !== undefined ? { email: config.alertEmail } : {}),
      tags,
    },
    opts,
  );

  const outputs: LakeOutputs = {
    bucket: bucket.bucketName,
    zones: pulumi.output({ raw: bucket.rawUri, trusted: bucket.trustedUri, refined: bucket.refinedUri }),
    dockerRunCommand: batchIngestor.dockerRunCommand,
    dockerLoginCommand: batchIngestor.dockerLoginCommand,
    batchIngestorRoleArn: batchIngestor.roleArn,
    lambdaName: apiIngestor.functionName,
    glueJobNames: pulumi.output(
      Object.fromEntries(JOB_NAMES.map((job) => [job, sparkJobs[job].jobName])) as Record<
        JobName,
        pulumi.Output<string>
      >,
    ),
    glueWorkflowName: starSchema.workflowName,
    athenaWorkgroup: starSchema.workgroupName,
    refinedDatabase: starSchema.refinedDatabaseName,
    dashboardId: dashboard ? dashboard.dashboardId : pulumi.output(undefined),
    dashboardUrl: dashboard ? dashboard.url : pulumi.output(undefined),
    alertTopicArn: alerts.topicArn,
  };
  return {
    bucket,
    batchIngestor,
    apiIngestor,
    sparkJobs,
    starSchema,
    ...(dashboard ? { dashboard } : {}),
    alerts,
    outputs,
  };
}
