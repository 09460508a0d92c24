/**
 * SparkJob: one of the lake's PySpark jobs (lake/jobs.ts) as an AWS Glue job. Uploads the entry script and the
 * shared `cinelake` package to the scripts prefix of the lake bucket, creates the Glue job with its input and output
 * prefixes as default arguments, an IAM role that reaches exactly those prefixes, and an optional trigger.
 */
import { existsSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { LakeBucketRef } from "./dataLakeBucket";
import { checkCron } from "./schedule";
import { GLUE_SHARED_PACKAGE, JOBS, jobArguments, type JobName } from "../lake/jobs";
import { SYSTEM_PREFIXES } from "../lake/paths";
import { ConfigError, NAME_LIMITS, checkStackName, physicalName } from "./naming";
import { childOptions } from "./resourceOptions";
import { s3PrefixPolicy, serviceTrustPolicy, type PolicyStatement } from "./policy";
import { writePackageZip } from "./pythonPackageZip";

/** Anything that names a Glue job, e.g. a {@link SparkJob}. */
export interface GlueJobRef {
  /** The Glue job's name. */
  jobName: pulumi.Input<string>;
}

/** When the job starts by itself: on a cron schedule, or after another job succeeds. */
export type SparkJobTrigger = { schedule: string } | { after: GlueJobRef };

/** Glue's worker types for Spark ETL jobs on Glue 5.x (general purpose G.*, memory optimised R.*). */
export const WORKER_TYPES = ["G.1X", "G.2X", "G.4X", "G.8X", "G.12X", "G.16X", "R.1X", "R.2X", "R.4X", "R.8X"] as const;
/** A Glue worker type. */
export type WorkerType = (typeof WORKER_TYPES)[number];

/** What Glue's `--job-bookmark-option` does: remember processed input (enable), ignore it (disable) or freeze it (pause). */
export type BookmarkOption = "enable" | "disable" | "pause";

/** The arguments of a {@link SparkJob}. */
export interface SparkJobArgs {
  /** The lake bucket (DataLakeBucket's outputs). */
  bucket: LakeBucketRef;
  /** Which job of lake/jobs.ts this is. */
  job: JobName;
  /** The student or environment the names carry; defaults to the Pulumi stack name. */
  stackName?: string;
  /** Glue version, 5.x (Spark 3.5, Python 3.11); default `5.1` (Spark 3.5.6, what the jobs are tested on locally). */
  glueVersion?: string;
  /** Worker type; default `G.1X`. */
  workerType?: WorkerType;
  /** Number of workers, at least 2 (one driver, one executor); default 2. */
  numberOfWorkers?: number;
  /** Minutes before Glue stops a run, 1-2880; default 60. */
  timeoutMinutes?: number;
  /** How many times Glue retries a failed run, 0-10; default 0 (the jobs fail loudly on bad data: retrying won't help). */
  maxRetries?: number;
  /** Job bookmarks; default `disable` (the jobs choose their input by `--date` and replace their output). */
  bookmark?: BookmarkOption;
  /** CloudWatch job metrics; default true. */
  metrics?: boolean;
  /** Start on a schedule (`cron(...)`, Glue's six-field syntax) or after another job succeeds; default none. */
  trigger?: SparkJobTrigger;
  /** More default arguments (`--name` → value), e.g. `--conf`; may not replace the ones this component manages. */
  extraArguments?: Record<string, pulumi.Input<string>>;
  /** Extra statements for the job's role, for what the component did not foresee. */
  extraPolicyStatements?: pulumi.Input<PolicyStatement>[];
  /** The repository root holding `glue/`; default the root of this library. */
  sourceRoot?: string;
  /** Tags for every resource. */
  tags?: Record<string, string>;
}

const DEFAULTS = {
  glueVersion: "5.1",
  workerType: "G.1X" as WorkerType,
  numberOfWorkers: 2,
  timeoutMinutes: 60,
  maxRetries: 0,
  bookmark: "disable" as BookmarkOption,
};

/** The longest timeout accepted: Glue's default for batch jobs, 48 hours. */
export const MAX_TIMEOUT_MINUTES = 2880;

/** The checked settings of a SparkJob, defaults filled in. */
export interface SparkJobSettings {
  glueVersion: string;
  workerType: WorkerType;
  numberOfWorkers: number;
  timeoutMinutes: number;
  maxRetries: number;
  bookmark: BookmarkOption;
  metrics: boolean;
}

/** Checks a SparkJob's settings and fills in the defaults; every failure names the argument and the fix. */
export function checkSparkJobSettings(args: Omit<SparkJobArgs, "bucket">): SparkJobSettings {
  if (!(args.job in JOBS))
    throw new ConfigError("job", `"${args.job}" is not a job of lake/jobs.ts`, Object.keys(JOBS).join(", "));
  const glueVersion = args.glueVersion ?? DEFAULTS.glueVersion;
  if (!/^5\.\d+$/.test(glueVersion))
    throw new ConfigError(
      "glueVersion",
      `"${glueVersion}" is not a Glue 5.x version; the jobs are tested on Spark 3.5 and Python 3.11`,
      'use "5.1"',
    );
  const workerType = args.workerType ?? DEFAULTS.workerType;
  if (!(WORKER_TYPES as readonly string[]).includes(workerType))
    throw new ConfigError("workerType", `"${workerType}" is not a Glue Spark worker type`, WORKER_TYPES.join(", "));
  const numberOfWorkers = args.numberOfWorkers ?? DEFAULTS.numberOfWorkers;
  if (!Number.isInteger(numberOfWorkers) || numberOfWorkers < 2)
    throw new ConfigError(
      "numberOfWorkers",
      `${numberOfWorkers} is not a whole number of at least 2 (Glue needs a driver and an executor)`,
      "use 2 or more",
    );
  const timeoutMinutes = args.timeoutMinutes ?? DEFAULTS.timeoutMinutes;
  if (!Number.isInteger(timeoutMinutes) || timeoutMinutes < 1 || timeoutMinutes > MAX_TIMEOUT_MINUTES)
    throw new ConfigError(
      "timeoutMinutes",
      `${timeoutMinutes} is not a whole number of minutes from 1 to ${MAX_TIMEOUT_MINUTES}`,
      "use e.g. 60",
    );
  const maxRetries = args.maxRetries ?? DEFAULTS.maxRetries;
  if (!Number.isInteger(maxRetries) || maxRetries < 0 || maxRetries > 10)
    throw new ConfigError("maxRetries", `${maxRetries} is not a whole number from 0 to 10`, "use 0 or 1");
  const bookmark = args.bookmark ?? DEFAULTS.bookmark;
  if (!["enable", "disable", "pause"].includes(bookmark))
    throw new ConfigError("bookmark", `"${bookmark}" is not a bookmark option`, 'use "enable", "disable" or "pause"');
  if (args.trigger && "schedule" in args.trigger) checkCron(args.trigger.schedule, "trigger.schedule");
  for (const key of Object.keys(args.extraArguments ?? {})) {
    if (!/^--[A-Za-z][A-Za-z0-9_.-]*$/.test(key))
      throw new ConfigError(`extraArguments["${key}"]`, "is not a Glue argument name", 'start it with "--"');
    if (key in GLUE_4_ONLY_ARGUMENTS)
      throw new ConfigError(`extraArguments["${key}"]`, GLUE_4_ONLY_ARGUMENTS[key]!, "leave it out");
    if (MANAGED_ARGUMENTS.has(key) || key.slice(2) in jobArguments(args.job, "s3://bucket/"))
      throw new ConfigError(
        `extraArguments["${key}"]`,
        "is managed by SparkJob",
        "use the matching SparkJob argument instead (or override it per run)",
      );
  }
  return {
    glueVersion,
    workerType,
    numberOfWorkers,
    timeoutMinutes,
    maxRetries,
    bookmark,
    metrics: args.metrics ?? true,
  };
}

/**
 * Job arguments of Glue 4 and earlier that Glue 5 ignores: it streams driver and executor logs to CloudWatch in real
 * time for every job (`/aws-glue/jobs/error` and `/aws-glue/jobs/output`), so continuous logging has no switch left.
 */
export const GLUE_4_ONLY_ARGUMENTS: Record<string, string> = {
  "--enable-continuous-cloudwatch-log": "is a Glue 4 flag: Glue 5 logs every job to CloudWatch in real time",
  "--enable-continuous-log-filter": "is a Glue 4 flag: Glue 5 logs every job to CloudWatch in real time",
  "--continuous-log-logGroup": "is a Glue 4 flag: on Glue 5 use --custom-logGroup-prefix",
  "--continuous-log-logStreamPrefix": "is a Glue 4 flag: on Glue 5 use --custom-logStream-prefix",
};

const MANAGED_ARGUMENTS = new Set([
  "--extra-py-files",
  "--enable-metrics",
  "--job-bookmark-option",
  "--TempDir",
  "--job-language",
]);

/** Where a job's code lives in the bucket: `_system/scripts/<job>/` (entry script, package zip) and its temp folder. */
export function jobScriptKeys(job: JobName): { prefix: string; script: string; packageZip: string; tempDir: string } {
  const prefix = `${SYSTEM_PREFIXES.scripts}${job}/`;
  return {
    prefix,
    script: `${prefix}${basename(JOBS[job].script)}`,
    packageZip: `${prefix}${basename(GLUE_SHARED_PACKAGE)}.zip`,
    tempDir: `${prefix}temp/`,
  };
}

/** The Glue default arguments of a job in a bucket: its prefixes, date, code locations and the chosen features. */
export function glueDefaultArguments(
  bucketName: string,
  job: JobName,
  settings: Pick<SparkJobSettings, "bookmark" | "metrics">,
): Record<string, string> {
  const keys = jobScriptKeys(job);
  const args: Record<string, string> = {};
  for (const [name, value] of Object.entries(jobArguments(job, `s3://${bucketName}/`))) args[`--${name}`] = value;
  args["--extra-py-files"] = `s3://${bucketName}/${keys.packageZip}`;
  args["--TempDir"] = `s3://${bucketName}/${keys.tempDir}`;
  args["--job-bookmark-option"] = `job-bookmark-${settings.bookmark}`;
  // Glue documents --enable-metrics as a key-only flag (its presence turns metrics on), so "off" means leaving it out.
  if (settings.metrics) args["--enable-metrics"] = "true";
  return args;
}

/**
 * The exact keys Hadoop's S3 file systems probe with HEAD when they check a folder: each prefix without its slash, its
 * ancestors, and their `_$folder$` markers (`Trusted`, `Trusted/Local`, ..., `Trusted/Local/Parquet/Movies_$folder$`).
 * No object is ever stored under these names, so reading them exposes nothing; without the grant S3 answers 403
 * instead of 404 and the job fails before it reads or writes a row.
 */
export function folderProbeKeys(prefixes: readonly string[]): string[] {
  const keys = new Set<string>();
  for (const prefix of prefixes) {
    const parts = prefix.split("/").filter((part) => part !== "");
    for (let depth = 1; depth <= parts.length; depth++) {
      const folder = parts.slice(0, depth).join("/");
      keys.add(folder);
      keys.add(`${folder}_$folder$`);
    }
  }
  return [...keys].sort();
}

/**
 * The `_$folder$` marker keys Glue's `s3://` file system (EMRFS) may write, and delete again, when it creates or removes
 * an output folder: one per written prefix and per ancestor (`Trusted_$folder$`, ...,
 * `Trusted/Local/Parquet/Movies_$folder$`). They sit beside the prefix, outside `prefix/*`, so they are granted by exact
 * key; each is an empty object, so writing or deleting one touches no data.
 */
export function folderMarkerKeys(prefixes: readonly string[]): string[] {
  return folderProbeKeys(prefixes).filter((key) => key.endsWith("_$folder$"));
}

/** The repository root (this file lives in `<root>/components/`). */
const LIBRARY_ROOT = resolve(__dirname, "..");

/** A PySpark job of the lake as an AWS Glue job with its code, role and optional trigger. */
export class SparkJob extends pulumi.ComponentResource {
  /** The Glue job's name (give it to another SparkJob's `trigger.after` or to StarSchema's pipeline). */
  readonly jobName: pulumi.Output<string>;
  /** The ARN of the role the job runs as. */
  readonly roleArn: pulumi.Output<string>;
  /** The `s3://` URI of the uploaded entry script. */
  readonly scriptLocation: pulumi.Output<string>;
  /** The name of the job's own trigger, when it has one. */
  readonly triggerName: pulumi.Output<string | undefined>;

  /** Creates the job's code objects, role, Glue job and trigger. */
  constructor(name: string, args: SparkJobArgs, opts?: pulumi.ComponentResourceOptions) {
    // Checked before registering anything, so a bad argument leaves no half-built component behind.
    const settings = checkSparkJobSettings(args);
    const stackName = checkStackName(args.stackName ?? pulumi.getStack());
    const def = JOBS[args.job];
    const root = args.sourceRoot ?? LIBRARY_ROOT;
    const scriptPath = join(root, def.script);
    const packageDir = join(root, GLUE_SHARED_PACKAGE);
    for (const [path, what] of [
      [scriptPath, "entry script"],
      [join(packageDir, "__init__.py"), "shared package"],
    ] as const)
      if (!existsSync(path))
        throw new ConfigError("sourceRoot", `the ${what} ${path} does not exist`, "point sourceRoot at the repository");
    super("cinelake:glue:SparkJob", name, args, opts);
    const keys = jobScriptKeys(args.job);
    const parent = childOptions(this);
    const tags = args.tags;

    const script = new aws.s3.BucketObjectv2(
      `${name}-script`,
      { bucket: args.bucket.bucketName, key: keys.script, source: new pulumi.asset.FileAsset(scriptPath), tags },
      parent,
    );
    const packageZip = new aws.s3.BucketObjectv2(
      `${name}-package`,
      {
        bucket: args.bucket.bucketName,
        key: keys.packageZip,
        source: new pulumi.asset.FileAsset(writePackageZip(packageDir)),
        contentType: "application/zip",
        tags,
      },
      parent,
    );

    const role = new aws.iam.Role(
      `${name}-role`,
      {
        name: physicalName(stackName, [args.job, "glue"], { maxLength: NAME_LIMITS.iamRole }),
        description: `Runs the ${args.job} Glue job: ${def.description}`,
        assumeRolePolicy: JSON.stringify(serviceTrustPolicy("glue.amazonaws.com")),
        tags,
      },
      parent,
    );
    const identity = aws.getCallerIdentityOutput({}, parent);
    const region = aws.getRegionOutput({}, parent);
    const partition = aws.getPartitionOutput({}, parent);
    const glueLogs = pulumi.interpolate`arn:${partition.partition}:logs:${region.region}:${identity.accountId}:log-group:/aws-glue/*`;
    const folderProbes = pulumi.output(args.bucket.bucketArn).apply((bucketArn): PolicyStatement => ({
      Sid: "FolderProbes",
      Effect: "Allow",
      Action: ["s3:GetObject"],
      Resource: folderProbeKeys([...def.reads, ...def.writes, keys.prefix]).map((key) => `${bucketArn}/${key}`),
    }));
    const folderMarkers = pulumi.output(args.bucket.bucketArn).apply((bucketArn): PolicyStatement => ({
      Sid: "FolderMarkers",
      Effect: "Allow",
      Action: ["s3:PutObject", "s3:DeleteObject"],
      Resource: folderMarkerKeys([...def.writes, keys.tempDir]).map((key) => `${bucketArn}/${key}`),
    }));
    const serviceStatements: pulumi.Input<PolicyStatement>[] = [
      folderProbes,
      folderMarkers,
      glueLogs.apply((logGroups): PolicyStatement => ({
        Sid: "GlueLogs",
        Effect: "Allow",
        // Glue 5 writes every job's driver and executor logs in real time to /aws-glue/jobs/error and /output.
        Action: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: [logGroups, `${logGroups}:*`],
      })),
    ];
    if (settings.metrics)
      serviceStatements.push({
        Sid: "GlueMetrics",
        Effect: "Allow",
        Action: ["cloudwatch:PutMetricData"],
        Resource: "*",
        Condition: { StringEquals: { "cloudwatch:namespace": "Glue" } },
      });
    const policy = new aws.iam.RolePolicy(
      `${name}-access`,
      {
        role: role.id,
        policy: s3PrefixPolicy(
          args.bucket.bucketArn,
          {
            // Hadoop's file system checks outputs with HEAD (GetObject) before it overwrites them.
            read: [...def.reads, ...def.writes, keys.prefix],
            write: [...def.writes, keys.tempDir],
            // Spark's overwrite deletes the previous output (a table, or one dt partition) before committing.
            delete: [...def.writes, keys.tempDir],
            kmsKeyArn: args.bucket.kmsKeyArn,
          },
          [...serviceStatements, ...(args.extraPolicyStatements ?? [])],
        ),
      },
      parent,
    );

    const bucketName = pulumi.output(args.bucket.bucketName);
    const job = new aws.glue.Job(
      `${name}-job`,
      {
        name: physicalName(stackName, [args.job], { maxLength: NAME_LIMITS.glue }),
        description: def.description,
        roleArn: role.arn,
        glueVersion: settings.glueVersion,
        workerType: settings.workerType,
        numberOfWorkers: settings.numberOfWorkers,
        timeout: settings.timeoutMinutes,
        maxRetries: settings.maxRetries,
        // One run at a time: a run replaces its outputs, so two at once would race.
        executionProperty: { maxConcurrentRuns: 1 },
        command: {
          name: "glueetl",
          pythonVersion: "3",
          scriptLocation: pulumi.interpolate`s3://${script.bucket}/${script.key}`,
        },
        defaultArguments: pulumi
          .all([bucketName, args.extraArguments ?? {}])
          .apply(([bucket, extra]) => ({ ...glueDefaultArguments(bucket, args.job, settings), ...extra })),
        tags,
      },
      childOptions(this, { dependsOn: [packageZip, policy] }),
    );

    let trigger: aws.glue.Trigger | undefined;
    if (args.trigger && "schedule" in args.trigger) {
      trigger = new aws.glue.Trigger(
        `${name}-schedule`,
        {
          name: physicalName(stackName, [args.job, "schedule"], { maxLength: NAME_LIMITS.glue }),
          type: "SCHEDULED",
          schedule: args.trigger.schedule.trim(),
          actions: [{ jobName: job.name }],
          startOnCreation: true,
          tags,
        },
        parent,
      );
    } else if (args.trigger && "after" in args.trigger) {
      trigger = new aws.glue.Trigger(
        `${name}-after`,
        {
          name: physicalName(stackName, [args.job, "after"], { maxLength: NAME_LIMITS.glue }),
          type: "CONDITIONAL",
          predicate: {
            conditions: [{ jobName: args.trigger.after.jobName, state: "SUCCEEDED", logicalOperator: "EQUALS" }],
          },
          actions: [{ jobName: job.name }],
          startOnCreation: true,
          tags,
        },
        parent,
      );
    }

    this.jobName = job.name;
    this.roleArn = role.arn;
    this.scriptLocation = job.command.scriptLocation;
    this.triggerName = trigger ? trigger.name : pulumi.output(undefined);
    this.registerOutputs({
      jobName: this.jobName,
      roleArn: this.roleArn,
      scriptLocation: this.scriptLocation,
      triggerName: this.triggerName,
    });
  }
}
