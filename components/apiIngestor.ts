/**
 * ApiIngestor: the TMDB micro-batch Lambda (runtime/api-ingestor) with its layer, schedule, secret, least-privilege
 * role and a dead-letter queue for failed runs.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CHECKPOINT_PREFIX } from "../runtime/api-ingestor/checkpoint";
import { LEASE_KEY } from "../runtime/api-ingestor/lease";
import { API_INGESTOR_ENV, LAMBDA_HANDLER, buildLayer, bundleHandler } from "../runtime/api-ingestor/packaging";
import { componentOptions, componentType, lakeComponentSettings, type LakeComponentArgs } from "./component";
import type { LakeBucketRef } from "./dataLakeBucket";
import { scheduleIntervalSeconds } from "./schedule";
import { DATASETS, datasetPrefix } from "../lake/paths";
import { ConfigError, NAME_LIMITS, physicalName } from "./naming";
import { childOptions } from "./resourceOptions";
import {
  extraStatements,
  logsStatement,
  policyDocument,
  s3PrefixPolicyStatements,
  secretReadStatement,
  serviceTrustPolicy,
  sqsSendStatement,
  type PolicyStatementArg,
} from "./policy";

/** The Lambda runtime: Node 24, the active LTS (AWS offers it since November 2025). */
export const API_INGESTOR_RUNTIME = "nodejs24.x";

/** Which kind of titles the Lambda fetches. */
export enum TitleKind {
  /** Movies only. */
  Movies = "movies",
  /** Series only. */
  Series = "series",
  /** Movies and series. */
  All = "all",
}

/** The Lambda's instruction set architecture. */
export enum LambdaArchitecture {
  /** Graviton (the default: the code is plain JavaScript and arm64 is cheaper). */
  Arm64 = "arm64",
  /** Intel/AMD. */
  X86_64 = "x86_64",
}

/** Which titles the Lambda fetches; unset fields keep the handler's defaults (all kinds and genres, 5000 titles). */
export interface ApiIngestorSelection {
  /** `movies`, `series` or `all` (default). */
  kind?: TitleKind;
  /** IMDb genres; a title is selected when it has any of them. */
  genres?: string[];
  /** First release year (inclusive). */
  yearFrom?: number;
  /** Last release year (inclusive). */
  yearTo?: number;
  /** Minimum IMDb vote count. */
  minVotes?: number;
  /** At most this many titles, the most voted first. */
  limit?: number;
}

/** The arguments of an {@link ApiIngestor}. */
export interface ApiIngestorArgs extends LakeComponentArgs {
  /** The lake bucket (a DataLakeBucket, or its name, ARN and KMS key). */
  bucket: LakeBucketRef;
  /**
   * The TMDB API read access token, as a Pulumi secret (`pulumi config set --secret cinelake:tmdbToken ...` read with
   * `requireSecret`); a plain value is refused, since it would be stored unencrypted in the state.
   */
  tmdbToken: pulumi.Input<string>;
  /** Which titles to fetch. */
  selection?: ApiIngestorSelection;
  /** The EventBridge schedule (`rate(1 hour)`, the default, or `cron(0 3 * * ? *)`) that runs the next slice. */
  schedule?: string;
  /** Run slices on the schedule (default true); false creates no rule, so slices run only when invoked by hand. */
  scheduleEnabled?: boolean;
  /** Lambda memory in MB (128–10240, default 1024: more memory also means more CPU for JSON work). */
  memoryMb?: number;
  /** Lambda timeout in seconds (1–900, default 900); the handler stops a slice well before it. */
  timeoutSeconds?: number;
  /** TMDB's base URL (default: the handler's, the live API). */
  tmdbBaseUrl?: string;
  /** TMDB requests per second, retries included (default: the handler's, 40). */
  maxRps?: number;
  /** TMDB requests in flight (default: the handler's, 20). */
  maxInFlight?: number;
  /** How long the Lambda's logs are kept (default 14 days). */
  logRetentionDays?: number;
  /** Lambda architecture (default `arm64`: the code is plain JavaScript and arm64 is cheaper). */
  architecture?: LambdaArchitecture;
  /**
   * Concurrent runs allowed (1–1000, default 1): two overlapping slices would fetch the same ids into two Raw files,
   * so the schedule and a manual invoke must not overlap.
   */
  reservedConcurrency?: number;
  /**
   * Reserve `reservedConcurrency` (default true). False leaves concurrency unreserved, for accounts whose concurrency
   * limit is still 10 (AWS then refuses any reservation); runs must then not be started by hand.
   */
  reservedConcurrencyEnabled?: boolean;
  /**
   * Let `pulumi destroy` delete the TMDB token's secret at once (default false: Secrets Manager keeps a deleted
   * secret recoverable for 7 days, and bills it meanwhile). The stack's `cinelake:forceDestroy` sets it.
   */
  forceDestroy?: boolean;
  /** The handler's code; default: bundled with esbuild from runtime/api-ingestor at deploy time. */
  code?: pulumi.asset.Archive;
  /** The layer's code (`nodejs/node_modules/...`); default: built from runtime/api-ingestor/packaging.ts. */
  layerCode?: pulumi.asset.Archive;
  /** Extra statements for the Lambda's role, for what a reuser needs and this component did not foresee. */
  extraPolicyStatements?: pulumi.Input<PolicyStatementArg>[];
}

function checkInt(value: number, setting: string, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max)
    throw new ConfigError(
      setting,
      `${value} is not a whole number from ${min} to ${max}`,
      `set ${setting} within that range`,
    );
  return value;
}

/** Checks a selection and turns it into the handler's environment variables (only the fields that are set). */
export function selectionEnvironment(selection: ApiIngestorSelection, setting = "selection"): Record<string, string> {
  const env: Record<string, string> = {};
  if (selection.kind !== undefined) {
    if (!["movies", "series", "all"].includes(selection.kind))
      throw new ConfigError(`${setting}.kind`, `"${selection.kind}" is not movies, series or all`, "pick one of those");
    env[API_INGESTOR_ENV.kind] = selection.kind;
  }
  if (selection.genres !== undefined) {
    for (const genre of selection.genres)
      if (!/^[A-Za-z][A-Za-z-]*$/.test(genre))
        throw new ConfigError(`${setting}.genres`, `"${genre}" is not an IMDb genre name`, 'use names like "Drama"');
    if (selection.genres.length) env[API_INGESTOR_ENV.genres] = selection.genres.join(",");
  }
  const thisYear = new Date().getUTCFullYear();
  if (selection.yearFrom !== undefined)
    env[API_INGESTOR_ENV.yearFrom] = String(checkInt(selection.yearFrom, `${setting}.yearFrom`, 1874, thisYear + 10));
  if (selection.yearTo !== undefined)
    env[API_INGESTOR_ENV.yearTo] = String(checkInt(selection.yearTo, `${setting}.yearTo`, 1874, thisYear + 10));
  if (selection.yearFrom !== undefined && selection.yearTo !== undefined && selection.yearFrom > selection.yearTo)
    throw new ConfigError(
      `${setting}.yearFrom`,
      `${selection.yearFrom} is after yearTo ${selection.yearTo}`,
      "swap them or widen the range",
    );
  if (selection.minVotes !== undefined)
    env[API_INGESTOR_ENV.minVotes] = String(checkInt(selection.minVotes, `${setting}.minVotes`, 0, 1e9));
  if (selection.limit !== undefined)
    env[API_INGESTOR_ENV.limit] = String(checkInt(selection.limit, `${setting}.limit`, 1, 10_000_000));
  return env;
}

/** Builds the handler bundle and the layer into a fresh temporary folder (deploy time only). */
function packageCode(): { code: pulumi.asset.Archive; layerCode: pulumi.asset.Archive } {
  const root = mkdtempSync(join(tmpdir(), "cinelake-api-ingestor-"));
  const handlerDir = join(root, "handler");
  bundleHandler(handlerDir);
  return {
    code: new pulumi.asset.FileArchive(handlerDir),
    layerCode: new pulumi.asset.FileArchive(buildLayer(join(root, "layer"))),
  };
}

/** The TMDB ingestion Lambda: bundled handler + layer, scheduled slices, secret token, scoped role, failure queue. */
export class ApiIngestor extends pulumi.ComponentResource {
  /** The Lambda function's name (`cinelake-<stack>-api-ingestor`). */
  readonly functionName: pulumi.Output<string>;
  /** The Lambda function's ARN. */
  readonly functionArn: pulumi.Output<string>;
  /** The execution role's ARN. */
  readonly roleArn: pulumi.Output<string>;
  /** The execution role's name (the function's name), e.g. to attach more policies. */
  readonly roleName: pulumi.Output<string>;
  /** The ARN of the Secrets Manager secret holding the TMDB token. */
  readonly secretArn: pulumi.Output<string>;
  /** The layer version's ARN. */
  readonly layerArn: pulumi.Output<string>;
  /** The URL of the queue receiving failed invocations. */
  readonly deadLetterQueueUrl: pulumi.Output<string>;
  /** That queue's ARN. */
  readonly deadLetterQueueArn: pulumi.Output<string>;
  /** The on-failure queue's name (`cinelake-<stack>-api-ingestor-failures`), e.g. for an alarm on it. */
  readonly deadLetterQueueName: pulumi.Output<string>;
  /** The EventBridge rule's name, or undefined without a schedule. */
  readonly scheduleRuleName: pulumi.Output<string | undefined>;
  /** The Lambda's log group (`/aws/lambda/<function>`). */
  readonly logGroupName: pulumi.Output<string>;
  /** The role's policy document, as JSON (for review and tests). */
  readonly policyJson: pulumi.Output<string>;

  /** Creates the Lambda and its surroundings; throws a {@link ConfigError} on bad arguments before AWS is called. */
  constructor(name: string, args: ApiIngestorArgs, opts?: pulumi.ComponentResourceOptions) {
    // Validate everything before registering anything.
    const { stackName: stack, namePrefix: prefix, tags } = lakeComponentSettings(args);
    if (typeof (args.tmdbToken as unknown) === "string" || !pulumi.Output.isInstance(args.tmdbToken))
      throw new ConfigError(
        "tmdbToken",
        "is a plain value, which would be stored unencrypted in the state",
        "pass a secret: `pulumi config set --secret cinelake:tmdbToken <token>` read with config.requireSecret",
      );
    const memoryMb = checkInt(args.memoryMb ?? 1024, "memoryMb", 128, 10240);
    const reserveConcurrency = args.reservedConcurrencyEnabled ?? true;
    if (!reserveConcurrency && args.reservedConcurrency !== undefined)
      throw new ConfigError(
        "reservedConcurrency",
        "is set while reservedConcurrencyEnabled is false",
        "set only one of them",
      );
    const reservedConcurrency = reserveConcurrency
      ? checkInt(args.reservedConcurrency ?? 1, "reservedConcurrency", 1, 1000)
      : undefined;
    const timeoutSeconds = checkInt(args.timeoutSeconds ?? 900, "timeoutSeconds", 1, 900);
    const scheduleEnabled = args.scheduleEnabled ?? true;
    if (!scheduleEnabled && args.schedule !== undefined)
      throw new ConfigError("schedule", "is set while scheduleEnabled is false", "set only one of them");
    const schedule = scheduleEnabled ? (args.schedule ?? "rate(1 hour)") : undefined;
    if (schedule !== undefined) {
      const interval = scheduleIntervalSeconds(schedule);
      if (interval !== undefined && interval <= timeoutSeconds)
        throw new ConfigError(
          "schedule",
          `"${schedule}" starts a run every ${interval} s, within the ${timeoutSeconds} s timeout, so runs would overlap`,
          "choose a longer interval or a shorter timeoutSeconds",
        );
    }
    const logRetentionDays = checkInt(args.logRetentionDays ?? 14, "logRetentionDays", 1, 3653);
    const environment: Record<string, pulumi.Input<string>> = selectionEnvironment(args.selection ?? {});
    if (args.tmdbBaseUrl !== undefined) {
      if (!/^https?:\/\/[^\s/]+/.test(args.tmdbBaseUrl))
        throw new ConfigError(
          "tmdbBaseUrl",
          `"${args.tmdbBaseUrl}" is not an http(s) URL`,
          "e.g. https://api.themoviedb.org/3",
        );
      environment[API_INGESTOR_ENV.baseUrl] = args.tmdbBaseUrl;
    }
    if (args.maxRps !== undefined)
      environment[API_INGESTOR_ENV.maxRps] = String(checkInt(args.maxRps, "maxRps", 1, 1000));
    if (args.maxInFlight !== undefined)
      environment[API_INGESTOR_ENV.maxInFlight] = String(checkInt(args.maxInFlight, "maxInFlight", 1, 500));
    const functionName = physicalName(stack, ["api-ingestor"], { maxLength: NAME_LIMITS.lambda, prefix });
    const queueName = physicalName(stack, ["api-ingestor-failures"], { maxLength: NAME_LIMITS.sqs, prefix });
    const layerName = physicalName(stack, ["api-ingestor-libs"], { maxLength: NAME_LIMITS.lambda, prefix });
    const ruleName = physicalName(stack, ["api-ingestor-schedule"], { maxLength: NAME_LIMITS.eventRule, prefix });
    const secretPrefix = physicalName(stack, ["tmdb-token"], { maxLength: NAME_LIMITS.secret, prefix }) + "-";
    const architecture = args.architecture ?? LambdaArchitecture.Arm64;
    if (!Object.values(LambdaArchitecture).includes(architecture))
      throw new ConfigError("architecture", `"${String(architecture)}" is not arm64 or x86_64`, "pick one of those");
    if ((args.code === undefined) !== (args.layerCode === undefined))
      throw new ConfigError("code", "and layerCode must be given together", "pass both archives, or neither");

    super(componentType("ApiIngestor"), name, {}, componentOptions("cinelake:ingest:ApiIngestor", opts));
    // Bundling runs esbuild: only once every argument is known to be good.
    const packaged = args.code && args.layerCode ? { code: args.code, layerCode: args.layerCode } : packageCode();
    const child = childOptions(this);

    // A name prefix, not a fixed name: a deleted secret's name stays reserved for days, which would block a re-deploy.
    const secret = new aws.secretsmanager.Secret(
      `${name}-tmdb-token`,
      {
        namePrefix: secretPrefix,
        description: `TMDB API token of the ${stack} lake's ApiIngestor`,
        // 0 deletes at once; 7 is the shortest recovery window Secrets Manager offers (its default is 30 days).
        recoveryWindowInDays: args.forceDestroy ? 0 : 7,
        tags,
      },
      child,
    );
    new aws.secretsmanager.SecretVersion(
      `${name}-tmdb-token`,
      { secretId: secret.id, secretString: pulumi.secret(args.tmdbToken) },
      child,
    );
    const logGroup = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      { name: `/aws/lambda/${functionName}`, retentionInDays: logRetentionDays, tags },
      child,
    );
    const queue = new aws.sqs.Queue(
      `${name}-failures`,
      { name: queueName, sqsManagedSseEnabled: true, messageRetentionSeconds: 14 * 24 * 3600, tags },
      child,
    );
    const role = new aws.iam.Role(
      `${name}-role`,
      {
        name: functionName,
        assumeRolePolicy: JSON.stringify(serviceTrustPolicy("lambda.amazonaws.com")),
        description: `Runs the ${stack} lake's ApiIngestor Lambda`,
        tags,
      },
      child,
    );
    this.policyJson = pulumi
      .all([
        args.bucket.bucketArn,
        args.bucket.kmsKeyArn,
        logGroup.arn,
        secret.arn,
        queue.arn,
        pulumi.output(args.extraPolicyStatements ?? []),
      ])
      .apply(([bucketArn, kmsKeyArn, logGroupArn, secretArn, queueArn, extras]) =>
        JSON.stringify(
          policyDocument([
            ...s3PrefixPolicyStatements(bucketArn, {
              // The CSVs to select ids from; its own Raw TMDB output, read back because Raw files are the truth when
              // they and the checkpoint disagree; its checkpoint and its lease. The first run reads a checkpoint not
              // written yet: the bucket-wide s3:ListBucket included makes S3 answer 404, not 403.
              read: [
                datasetPrefix(DATASETS.rawMoviesCsv),
                datasetPrefix(DATASETS.rawSeriesCsv),
                datasetPrefix(DATASETS.rawTmdbMovies),
                datasetPrefix(DATASETS.rawTmdbSeries),
                CHECKPOINT_PREFIX,
              ],
              write: [datasetPrefix(DATASETS.rawTmdbMovies), datasetPrefix(DATASETS.rawTmdbSeries), CHECKPOINT_PREFIX],
              kmsKeyArn,
            }),
            // The one thing it deletes: its own lease at the end of a run (a conditional delete on the ETag it
            // wrote), by exact key, so neither the checkpoint nor any Raw file can be deleted.
            {
              Sid: "ReleaseOwnLease",
              Effect: "Allow",
              Action: ["s3:DeleteObject"],
              Resource: [`${bucketArn}/${LEASE_KEY}`],
            },
            logsStatement(logGroupArn),
            secretReadStatement(secretArn),
            sqsSendStatement(queueArn),
            ...extraStatements(extras),
          ]),
        ),
      );
    const rolePolicy = new aws.iam.RolePolicy(
      `${name}-role-policy`,
      { role: role.name, name: "api-ingestor", policy: this.policyJson },
      child,
    );
    const layer = new aws.lambda.LayerVersion(
      `${name}-libs`,
      {
        layerName,
        code: packaged.layerCode,
        compatibleRuntimes: [API_INGESTOR_RUNTIME],
        compatibleArchitectures: [architecture],
        description: "Third-party libraries of the ApiIngestor handler (nodejs/node_modules)",
      },
      child,
    );
    const fn = new aws.lambda.Function(
      `${name}-fn`,
      {
        name: functionName,
        runtime: API_INGESTOR_RUNTIME,
        handler: LAMBDA_HANDLER,
        code: packaged.code,
        layers: [layer.arn],
        architectures: [architecture],
        memorySize: memoryMb,
        timeout: timeoutSeconds,
        // -1 is the provider's "unreserved".
        reservedConcurrentExecutions: reservedConcurrency ?? -1,
        role: role.arn,
        environment: {
          variables: {
            ...environment,
            [API_INGESTOR_ENV.bucket]: args.bucket.bucketName,
            // The secret's ARN, never the token: the handler reads the value once per container.
            [API_INGESTOR_ENV.secretId]: secret.arn,
          },
        },
        loggingConfig: { logFormat: "Text", logGroup: logGroup.name },
        description: `TMDB micro-batches into the ${stack} lake's Raw zone`,
        tags,
      },
      // The role must be able to log and read the secret before the first invocation.
      childOptions(this, { dependsOn: [rolePolicy, logGroup] }),
    );
    new aws.lambda.FunctionEventInvokeConfig(
      `${name}-on-failure`,
      {
        functionName: fn.name,
        // The schedule is the retry: a failed slice is recorded in the queue and the next slice resumes from the
        // checkpoint, rather than two retries racing the next scheduled run.
        maximumRetryAttempts: 0,
        maximumEventAgeInSeconds: 3600,
        destinationConfig: { onFailure: { destination: queue.arn } },
      },
      child,
    );
    let rule: aws.cloudwatch.EventRule | undefined;
    if (schedule !== undefined) {
      rule = new aws.cloudwatch.EventRule(
        `${name}-schedule`,
        { name: ruleName, scheduleExpression: schedule, description: "Runs the next ApiIngestor slice", tags },
        child,
      );
      const permission = new aws.lambda.Permission(
        `${name}-schedule`,
        { action: "lambda:InvokeFunction", function: fn.name, principal: "events.amazonaws.com", sourceArn: rule.arn },
        child,
      );
      new aws.cloudwatch.EventTarget(
        `${name}-schedule`,
        { rule: rule.name, arn: fn.arn, input: JSON.stringify({ source: "schedule" }) },
        childOptions(this, { dependsOn: [permission] }),
      );
    }

    this.functionName = fn.name;
    this.functionArn = fn.arn;
    this.roleArn = role.arn;
    this.roleName = role.name;
    this.secretArn = secret.arn;
    this.layerArn = layer.arn;
    this.deadLetterQueueUrl = queue.url;
    this.deadLetterQueueArn = queue.arn;
    this.deadLetterQueueName = queue.name;
    this.logGroupName = logGroup.name;
    this.scheduleRuleName = rule ? rule.name : pulumi.output(undefined);
    this.registerOutputs({
      functionName: this.functionName,
      functionArn: this.functionArn,
      roleArn: this.roleArn,
      roleName: this.roleName,
      secretArn: this.secretArn,
      layerArn: this.layerArn,
      deadLetterQueueUrl: this.deadLetterQueueUrl,
      deadLetterQueueArn: this.deadLetterQueueArn,
      deadLetterQueueName: this.deadLetterQueueName,
      scheduleRuleName: this.scheduleRuleName,
      logGroupName: this.logGroupName,
    });
  }
}
