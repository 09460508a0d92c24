/**
 * SparkJob: any PySpark script as an AWS Glue job. Uploads the entry script and (optionally) a Python package to the
 * scripts prefix of the lake bucket, creates the Glue job with the script's arguments as default arguments, an IAM
 * role that reaches exactly the prefixes the job reads and writes, and an optional trigger. The job itself — script,
 * arguments, prefixes — is an argument ({@link SparkJobDefinition}): the movies lake passes its jobs from lake/jobs.ts,
 * another lake its own.
 */
import { existsSync } from "node:fs";
import { basename, resolve } from "node:path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { componentOptions, componentType, lakeComponentSettings, type LakeComponentArgs } from "./component";
import type { LakeBucketRef } from "./dataLakeBucket";
import { checkCron } from "./schedule";
import { SYSTEM_PREFIXES } from "../lake/paths";
import { GLUE_ARGUMENTS } from "../lake/jobs";
import { ConfigError, NAME_LIMITS, physicalName } from "./naming";
import { childOptions } from "./resourceOptions";
import {
  checkPolicyPrefix,
  s3PrefixPolicy,
  serviceTrustPolicy,
  type PolicyStatement,
  type PolicyStatementArg,
} from "./policy";
import { writePackageZip } from "./pythonPackageZip";

/** Anything that names a Glue job, e.g. a {@link SparkJob}. */
export interface GlueJobRef {
  /** The Glue job's name. */
  jobName: pulumi.Input<string>;
}

/** Glue's worker types for Spark ETL jobs on Glue 5.x (general purpose G.*, memory optimised R.*). */
export const WorkerType = {
  /** 1 DPU: 4 vCPU, 16 GB. */
  G_1X: "G.1X",
  /** 2 DPU: 8 vCPU, 32 GB. */
  G_2X: "G.2X",
  /** 4 DPU: 16 vCPU, 64 GB. */
  G_4X: "G.4X",
  /** 8 DPU: 32 vCPU, 128 GB. */
  G_8X: "G.8X",
  /** 12 DPU: 48 vCPU, 192 GB. */
  G_12X: "G.12X",
  /** 16 DPU: 64 vCPU, 256 GB. */
  G_16X: "G.16X",
  /** 1 DPU, memory optimised: 4 vCPU, 32 GB. */
  R_1X: "R.1X",
  /** 2 DPU, memory optimised: 8 vCPU, 64 GB. */
  R_2X: "R.2X",
  /** 4 DPU, memory optimised: 16 vCPU, 128 GB. */
  R_4X: "R.4X",
  /** 8 DPU, memory optimised: 32 vCPU, 256 GB. */
  R_8X: "R.8X",
} as const;
/** A Glue worker type (a named enum in the package schema). */
export type WorkerType = (typeof WorkerType)[keyof typeof WorkerType];
/** Every worker type, in order. */
export const WORKER_TYPES: readonly WorkerType[] = Object.values(WorkerType);

/** What Glue's `--job-bookmark-option` does with processed input. */
export const BookmarkOption = {
  /** Remember processed input and skip it next run. */
  Enable: "enable",
  /** Ignore bookmarks: every run reads what its arguments say. */
  Disable: "disable",
  /** Read from the last bookmark without moving it. */
  Pause: "pause",
} as const;
/** A bookmark option (a named enum in the package schema). */
export type BookmarkOption = (typeof BookmarkOption)[keyof typeof BookmarkOption];

/**
 * The job a SparkJob deploys: its entry script, the default arguments it is started with, and the lake prefixes it
 * reads and writes (its role reaches those and nothing else). A `JobDef` of lake/jobs.ts plus its `arguments` is one.
 */
export interface SparkJobDefinition {
  /** The job's short name (`trusted-csv`, `books`): lowercase letters, digits and single hyphens; part of its physical names and of its scripts prefix `_system/scripts/<name>/`. */
  name: string;
  /** What the job does, in one sentence (the Glue job's and its role's description). */
  description?: string;
  /** The entry script: a path relative to `sourceRoot` (e.g. `glue/trusted_csv.py`) or absolute. */
  script: string;
  /** The script's default arguments, names without `--` (e.g. `lake_root`, `date` and the prefixes it reads and writes); a run may override them. */
  arguments?: Record<string, pulumi.Input<string>>;
  /** The prefixes of the bucket the job reads (relative, each ending in `/`); its role may read them. */
  reads: string[];
  /** The prefixes of the bucket the job writes and replaces (relative, each ending in `/`); its role may read, write and delete in them. */
  writes: string[];
}

/** The arguments of a {@link SparkJob}. */
export interface SparkJobArgs extends LakeComponentArgs {
  /** The lake bucket (DataLakeBucket's outputs). */
  bucket: LakeBucketRef;
  /** The job to deploy: script, default arguments and the prefixes it reads and writes. */
  job: SparkJobDefinition;
  /** A Python package folder (with `__init__.py`) shipped as `--extra-py-files`, relative to `sourceRoot` or absolute (e.g. `glue/cinelake`); none by default. */
  packageDir?: string;
  /** The folder relative `job.script` and `packageDir` paths start from; default the root of this library. */
  sourceRoot?: string;
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
  /** Start on this Glue cron schedule (six fields, e.g. `cron(0 6 * * ? *)`); at most one of `schedule` and `startAfter`. */
  schedule?: string;
  /** Start after this Glue job succeeds (e.g. another SparkJob); at most one of `schedule` and `startAfter`. */
  startAfter?: GlueJobRef;
  /** More default arguments (`--name` → value), e.g. `--conf`; may not replace the ones this component manages. */
  extraArguments?: Record<string, pulumi.Input<string>>;
  /** Extra IAM statements for the job's role (`{ Effect, Action, Resource }`), for what the component did not foresee. */
  extraPolicyStatements?: pulumi.Input<PolicyStatementArg>[];
}

const DEFAULTS = {
  glueVersion: "5.1",
  workerType: WorkerType.G_1X as WorkerType,
  numberOfWorkers: 2,
  timeoutMinutes: 60,
  maxRetries: 0,
  bookmark: BookmarkOption.Disable as BookmarkOption,
};

/** The longest timeout accepted: Glue's default for batch jobs, 48 hours. */
export const MAX_TIMEOUT_MINUTES = 2880;

/** The settings that size and tune a Glue job, all optional (see {@link SparkJobArgs}). */
export type SparkJobTuning = Pick<
  SparkJobArgs,
  "glueVersion" | "workerType" | "numberOfWorkers" | "timeoutMinutes" | "maxRetries" | "bookmark" | "metrics"
>;

/** The checked settings of a SparkJob, defaults filled in. */
export interface SparkJobSettings {
  /** Glue version (5.x). */
  glueVersion: string;
  /** Worker type. */
  workerType: WorkerType;
  /** Number of workers (≥ 2). */
  numberOfWorkers: number;
  /** Run timeout in minutes. */
  timeoutMinutes: number;
  /** Retries of a failed run. */
  maxRetries: number;
  /** Bookmark option. */
  bookmark: BookmarkOption;
  /** Whether CloudWatch job metrics are on. */
  metrics: boolean;
}

/** Checks a SparkJob's sizing and tuning and fills in the defaults; every failure names the argument and the fix. */
export function checkSparkJobSettings(args: SparkJobTuning = {}): SparkJobSettings {
  const glueVersion = args.glueVersion ?? DEFAULTS.glueVersion;
  if (!/^5\.\d+$/.test(glueVersion))
    throw new ConfigError(
      "glueVersion",
      `"${glueVersion}" is not a Glue 5.x version; the jobs are tested on Spark 3.5 and Python 3.11`,
      'use "5.1"',
    );
  const workerType = args.workerType ?? DEFAULTS.workerType;
  if (!WORKER_TYPES.includes(workerType))
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
  if (!(Object.values(BookmarkOption) as string[]).includes(bookmark))
    throw new ConfigError("bookmark", `"${bookmark}" is not a bookmark option`, 'use "enable", "disable" or "pause"');
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

const ARGUMENT_NAME = /^[A-Za-z][A-Za-z0-9_.-]*$/;

/** Checks the job definition (name, script arguments, prefixes); the files are checked where they are resolved. */
function checkJobDefinition(job: SparkJobDefinition): void {
  if (typeof job?.name !== "string" || !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(job.name))
    throw new ConfigError(
      "job.name",
      `"${String(job?.name)}" is not lowercase letters, digits and single hyphens`,
      'name the job e.g. "trusted-csv"',
    );
  for (const key of Object.keys(job.arguments ?? {}))
    if (!ARGUMENT_NAME.test(key))
      throw new ConfigError(`job.arguments["${key}"]`, "is not an argument name", 'write it without "--", e.g. date');
  for (const setting of ["reads", "writes"] as const) {
    if (!Array.isArray(job[setting]))
      throw new ConfigError(`job.${setting}`, "is missing", "list the prefixes the job touches, e.g. [] for none");
    for (const prefix of job[setting])
      try {
        checkPolicyPrefix(prefix);
      } catch (error) {
        throw new ConfigError(`job.${setting}`, (error as Error).message.replace(/^prefix: /, ""), "");
      }
  }
}

/** Checks the extra Glue arguments: `--` names Glue 5 honours that this component does not set itself. */
function checkExtraArguments(args: Pick<SparkJobArgs, "job" | "extraArguments">): void {
  for (const key of Object.keys(args.extraArguments ?? {})) {
    if (!/^--[A-Za-z][A-Za-z0-9_.-]*$/.test(key))
      throw new ConfigError(`extraArguments["${key}"]`, "is not a Glue argument name", 'start it with "--"');
    if (key in GLUE_4_ONLY_ARGUMENTS)
      throw new ConfigError(`extraArguments["${key}"]`, GLUE_4_ONLY_ARGUMENTS[key]!, "leave it out");
    if (MANAGED_ARGUMENTS.has(key) || key.slice(2) in (args.job.arguments ?? {}))
      throw new ConfigError(
        `extraArguments["${key}"]`,
        "is managed by SparkJob",
        "use the matching SparkJob argument or job.arguments instead (or override it per run)",
      );
    // The cinelake jobs refuse any argument that is neither theirs nor Glue's own (glue/cinelake/args.py): refusing
    // it here fails `pulumi preview` instead of the first run.
    if (!GLUE_ARGUMENTS.includes(key.slice(2)))
      throw new ConfigError(
        `extraArguments["${key}"]`,
        "is not one of AWS Glue's own job parameters (GLUE_ARGUMENTS in lake/jobs.ts)",
        "pass a script argument in job.arguments instead, or add a new Glue parameter to GLUE_ARGUMENTS",
      );
  }
}

/** Checks an extra policy statement known now (one still unknown is left to IAM): an object with Effect Allow or Deny. */
function checkStatement(statement: unknown, index: number): void {
  const effect = (statement as { Effect?: unknown } | null)?.Effect;
  if (typeof statement !== "object" || statement === null || (effect !== "Allow" && effect !== "Deny"))
    throw new ConfigError(
      `extraPolicyStatements[${index}]`,
      "is not an IAM statement with Effect Allow or Deny",
      'pass e.g. { Effect: "Allow", Action: ["glue:GetTable"], Resource: ["*"] }',
    );
}

/** Where a job's code lives in the bucket: `_system/scripts/<job>/` (entry script, package zip) and its temp folder. */
export function jobScriptKeys(
  job: Pick<SparkJobDefinition, "name" | "script">,
  packageDir?: string,
): { prefix: string; script: string; packageZip: string | undefined; tempDir: string } {
  const prefix = `${SYSTEM_PREFIXES.scripts}${job.name}/`;
  return {
    prefix,
    script: `${prefix}${basename(job.script)}`,
    packageZip: packageDir === undefined ? undefined : `${prefix}${basename(packageDir)}.zip`,
    tempDir: `${prefix}temp/`,
  };
}

/**
 * The Glue default arguments of a job in a bucket: the script's own arguments, then its code locations and the chosen
 * features. Plain values only (the component resolves outputs first).
 */
export function glueDefaultArguments(
  bucketName: string,
  job: Pick<SparkJobDefinition, "name" | "script"> & { arguments?: Record<string, string> },
  settings: Pick<SparkJobSettings, "bookmark" | "metrics">,
  packageDir?: string,
): Record<string, string> {
  const keys = jobScriptKeys(job, packageDir);
  const args: Record<string, string> = {};
  for (const [name, value] of Object.entries(job.arguments ?? {})) args[`--${name}`] = value;
  if (keys.packageZip) args["--extra-py-files"] = `s3://${bucketName}/${keys.packageZip}`;
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

/** Everything a SparkJob needs, checked before anything is registered. */
function checkSparkJobArgs(args: SparkJobArgs) {
  const common = lakeComponentSettings(args);
  const settings = checkSparkJobSettings(args);
  checkJobDefinition(args.job);
  if (args.schedule !== undefined && args.startAfter !== undefined)
    throw new ConfigError(
      "schedule",
      "and startAfter are both set",
      "give the job one trigger: a schedule or a job to follow",
    );
  if (args.schedule !== undefined) checkCron(args.schedule, "schedule");
  checkExtraArguments(args);
  (args.extraPolicyStatements ?? []).forEach((statement, index) => {
    if (!pulumi.Output.isInstance(statement)) checkStatement(statement, index);
  });
  const root = resolve(args.sourceRoot ?? LIBRARY_ROOT);
  const scriptPath = resolve(root, args.job.script);
  if (!existsSync(scriptPath))
    throw new ConfigError(
      "job.script",
      `the entry script ${scriptPath} does not exist`,
      "point job.script (or sourceRoot) at it",
    );
  const packageDir = args.packageDir === undefined ? undefined : resolve(root, args.packageDir);
  if (packageDir !== undefined && !existsSync(resolve(packageDir, "__init__.py")))
    throw new ConfigError(
      "packageDir",
      `${packageDir} is not a Python package (no __init__.py)`,
      "point packageDir (or sourceRoot) at the package folder",
    );
  return { ...common, settings, scriptPath, packageDir };
}

/** A PySpark job as an AWS Glue job with its code, role and optional trigger. */
export class SparkJob extends pulumi.ComponentResource {
  /** The Glue job's name (`<prefix>-<stack>-<job>`; give it to another SparkJob's `startAfter` or to StarSchema's pipeline). */
  readonly jobName: pulumi.Output<string>;
  /** The Glue job's ARN. */
  readonly jobArn: pulumi.Output<string>;
  /** The ARN of the role the job runs as. */
  readonly roleArn: pulumi.Output<string>;
  /** The name of the role the job runs as, e.g. to attach more policies. */
  readonly roleName: pulumi.Output<string>;
  /** The `s3://` URI of the uploaded entry script. */
  readonly scriptLocation: pulumi.Output<string>;
  /** The name of the job's own trigger, when it has one. */
  readonly triggerName: pulumi.Output<string | undefined>;

  /** Creates the job's code objects, role, Glue job and trigger; throws a ConfigError on bad arguments before AWS is called. */
  constructor(name: string, args: SparkJobArgs, opts?: pulumi.ComponentResourceOptions) {
    // Checked before registering anything, so a bad argument leaves no half-built component behind.
    const { stackName, namePrefix, tags, settings, scriptPath, packageDir } = checkSparkJobArgs(args);
    super(componentType("SparkJob"), name, args, componentOptions("cinelake:glue:SparkJob", opts));
    const def = args.job;
    const keys = jobScriptKeys(def, packageDir);
    const parent = childOptions(this);
    const named = (parts: string[], maxLength: number) =>
      physicalName(stackName, parts, { maxLength, prefix: namePrefix });

    const script = new aws.s3.BucketObjectv2(
      `${name}-script`,
      { bucket: args.bucket.bucketName, key: keys.script, source: new pulumi.asset.FileAsset(scriptPath), tags },
      parent,
    );
    const codeObjects: pulumi.Resource[] = [];
    if (packageDir !== undefined && keys.packageZip !== undefined)
      codeObjects.push(
        new aws.s3.BucketObjectv2(
          `${name}-package`,
          {
            bucket: args.bucket.bucketName,
            key: keys.packageZip,
            // A zip of our own making (see pythonPackageZip.ts for why not a Pulumi AssetArchive).
            source: new pulumi.asset.FileAsset(writePackageZip(packageDir)),
            contentType: "application/zip",
            tags,
          },
          parent,
        ),
      );

    const role = new aws.iam.Role(
      `${name}-role`,
      {
        name: named([def.name, "glue"], NAME_LIMITS.iamRole),
        description: `Runs the ${def.name} Glue job${def.description ? `: ${def.description}` : "."}`,
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
          [...serviceStatements, ...((args.extraPolicyStatements ?? []) as pulumi.Input<PolicyStatement>[])],
        ),
      },
      parent,
    );

    const settled = pulumi.all([
      pulumi.output(args.bucket.bucketName),
      pulumi.output(def.arguments ?? {}),
      pulumi.output(args.extraArguments ?? {}),
    ]);
    const job = new aws.glue.Job(
      `${name}-job`,
      {
        name: named([def.name], NAME_LIMITS.glue),
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
        defaultArguments: settled.apply(([bucket, scriptArguments, extra]) => ({
          ...glueDefaultArguments(
            bucket,
            { ...def, arguments: scriptArguments as Record<string, string> },
            settings,
            packageDir,
          ),
          ...(extra as Record<string, string>),
        })),
        tags,
      },
      childOptions(this, { dependsOn: [...codeObjects, policy] }),
    );

    let trigger: aws.glue.Trigger | undefined;
    if (args.schedule !== undefined) {
      trigger = new aws.glue.Trigger(
        `${name}-schedule`,
        {
          name: named([def.name, "schedule"], NAME_LIMITS.glue),
          type: "SCHEDULED",
          schedule: args.schedule.trim(),
          actions: [{ jobName: job.name }],
          startOnCreation: true,
          tags,
        },
        parent,
      );
    } else if (args.startAfter !== undefined) {
      trigger = new aws.glue.Trigger(
        `${name}-after`,
        {
          name: named([def.name, "after"], NAME_LIMITS.glue),
          type: "CONDITIONAL",
          predicate: {
            conditions: [{ jobName: args.startAfter.jobName, state: "SUCCEEDED", logicalOperator: "EQUALS" }],
          },
          actions: [{ jobName: job.name }],
          startOnCreation: true,
          tags,
        },
        parent,
      );
    }

    this.jobName = job.name;
    this.jobArn = job.arn;
    this.roleArn = role.arn;
    this.roleName = role.name;
    this.scriptLocation = job.command.scriptLocation;
    this.triggerName = trigger ? trigger.name : pulumi.output(undefined);
    this.registerOutputs({
      jobName: this.jobName,
      jobArn: this.jobArn,
      roleArn: this.roleArn,
      roleName: this.roleName,
      scriptLocation: this.scriptLocation,
      triggerName: this.triggerName,
    });
  }
}
