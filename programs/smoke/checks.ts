/**
 * The post-deploy smoke check's logic: each check takes the SDK client it talks through (anything with the client's
 * `send`), so the CLI points them at AWS and the tests at moto's server or a local stand-in. What a response means is
 * decided by pure `judge*` functions, unit-tested on their own for the answers no local server can give.
 */
import {
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  type AthenaClient,
  type QueryExecution,
} from "@aws-sdk/client-athena";
import {
  GetWorkflowRunCommand,
  StartWorkflowRunCommand,
  type GlueClient,
  type WorkflowRun,
} from "@aws-sdk/client-glue";
import { InvokeCommand, type LambdaClient } from "@aws-sdk/client-lambda";
import { DescribeDashboardCommand, type QuickSightClient } from "@aws-sdk/client-quicksight";
import {
  GetBucketEncryptionCommand,
  GetBucketOwnershipControlsCommand,
  GetBucketPolicyCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  type PublicAccessBlockConfiguration,
  type S3Client,
  type ServerSideEncryptionRule,
} from "@aws-sdk/client-s3";
import { GetCallerIdentityCommand, type STSClient } from "@aws-sdk/client-sts";
import { VIEWS } from "../../lake/tables";

/** How a check ended: passed, failed, or not run (with the reason in its detail). */
export type CheckStatus = "pass" | "fail" | "skip";

/** One line of the report: what was checked and what was found. */
export interface CheckResult {
  status: CheckStatus;
  /** What was checked, e.g. `bucket versioning`. */
  what: string;
  /** What was found; for a failure, also what to do about it. */
  detail: string;
}

/** The stack outputs the smoke check reads (programs/index.ts exports them after `pulumi up`). */
export interface SmokeOutputs {
  bucket: string;
  lambdaName: string;
  athenaWorkgroup: string;
  refinedDatabase: string;
  /** Undefined when the stack has no workflow. */
  glueWorkflowName?: string;
  /** Undefined when the stack has no dashboard (`cinelake:dashboard false`). */
  dashboardId?: string;
  /** These three carry the stack's region. */
  dockerRunCommand?: string;
  dockerLoginCommand?: string;
  dashboardUrl?: string;
}

/** The groups of checks, in the order they run (the data's order: bucket, TMDB, Glue, Athena, QuickSight). */
export const CHECK_GROUPS = ["bucket", "lambda", "workflow", "athena", "dashboard"] as const;
/** One group of checks, as named by `--skip`. */
export type CheckGroup = (typeof CHECK_GROUPS)[number];

/** The `send` of an SDK client: all a check needs, so a test can hand it a client pointed anywhere. */
export type Sender<C extends { send: unknown }> = Pick<C, "send">;

const REQUIRED_OUTPUTS = ["bucket", "lambdaName", "athenaWorkgroup", "refinedDatabase"] as const;
const OPTIONAL_OUTPUTS = [
  "glueWorkflowName",
  "dashboardId",
  "dockerRunCommand",
  "dockerLoginCommand",
  "dashboardUrl",
] as const;

/**
 * Reads the outputs the checks need from `pulumi stack output --json` (or a file holding it). `source` names where
 * they came from, for the message. Undefined outputs may be absent or `null` (Pulumi writes either).
 */
export function parseSmokeOutputs(json: unknown, source: string): SmokeOutputs {
  if (typeof json !== "object" || json === null || Array.isArray(json))
    throw new Error(`${source} is not a JSON object of stack outputs: write it with pulumi stack output --json`);
  const record = json as Record<string, unknown>;
  const missing = REQUIRED_OUTPUTS.filter((key) => typeof record[key] !== "string" || record[key] === "");
  if (missing.length > 0)
    throw new Error(
      `${source} has no ${missing.join(", ")}: is it a cinelake stack after pulumi up? (pulumi stack output --json)`,
    );
  const outputs: Record<string, string> = {};
  for (const key of REQUIRED_OUTPUTS) outputs[key] = record[key] as string;
  for (const key of OPTIONAL_OUTPUTS) {
    const value = record[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== "string") throw new Error(`${source}: output ${key} is not a string`);
    if (value !== "") outputs[key] = value;
  }
  return outputs as unknown as SmokeOutputs;
}

/**
 * The region the stack lives in: read from the outputs that embed it (the container's `AWS_REGION`, the ECR login's
 * `--region`, the dashboard URL), else `AWS_REGION` / `AWS_DEFAULT_REGION`. The outputs win, because that is where
 * `pulumi up` put the resources, whatever the shell says.
 */
export function stackRegion(outputs: SmokeOutputs, env: NodeJS.ProcessEnv): { region: string; from: string } {
  const patterns: [string | undefined, RegExp, string][] = [
    [outputs.dockerRunCommand, /-e AWS_REGION=([a-z0-9-]+)/, "dockerRunCommand"],
    [outputs.dockerLoginCommand, /--region ([a-z0-9-]+)/, "dockerLoginCommand"],
    [outputs.dashboardUrl, /^https:\/\/([a-z0-9-]+)\.quicksight\./, "dashboardUrl"],
  ];
  for (const [text, pattern, name] of patterns) {
    const region = text ? pattern.exec(text)?.[1] : undefined;
    if (region) return { region, from: `output ${name}` };
  }
  for (const name of ["AWS_REGION", "AWS_DEFAULT_REGION"]) {
    const region = env[name];
    if (region) return { region, from: name };
  }
  throw new Error(
    "no region: the outputs name none and AWS_REGION is not set: export AWS_REGION=<the stack's aws:region>",
  );
}

/** An SDK error as one line: its name (the AWS error code) and message. */
export function errorLine(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const message = error.message.split("\n")[0] ?? "";
  return error.name && error.name !== "Error" && !message.startsWith(error.name)
    ? `${error.name}: ${message}`
    : message;
}

/** The error code of an SDK error (`NoSuchBucketPolicy`, ...), or undefined for anything else. */
function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

const pass = (what: string, detail: string): CheckResult => ({ status: "pass", what, detail });
const fail = (what: string, detail: string): CheckResult => ({ status: "fail", what, detail });
const skip = (what: string, detail: string): CheckResult => ({ status: "skip", what, detail });

// The stack owns these settings, so drift is undone by refreshing the state and applying the program again.
const RESTORE = "pulumi up --refresh restores the stack's setting";

// ---------------------------------------------------------------------------------------------------------- bucket

/** The public access block must have all four settings on: the lake is never public. */
export function judgePublicAccessBlock(config: PublicAccessBlockConfiguration | undefined): CheckResult {
  const what = "bucket public access block";
  const keys = ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"] as const;
  const off = keys.filter((key) => config?.[key] !== true);
  return off.length === 0 ? pass(what, "all four settings true") : fail(what, `${off.join(", ")} not true: ${RESTORE}`);
}

/** Default encryption must be SSE-S3 or SSE-KMS (the stack sets one or the other, per `cinelake:kmsKeyArn`). */
export function judgeEncryption(rules: ServerSideEncryptionRule[] | undefined): CheckResult {
  const what = "bucket default encryption";
  const rule = rules?.find((candidate) => candidate.ApplyServerSideEncryptionByDefault?.SSEAlgorithm);
  const algorithm = rule?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm;
  if (algorithm === "AES256") return pass(what, "SSE-S3 (AES256)");
  if (algorithm === "aws:kms" || algorithm === "aws:kms:dsse") {
    const key = rule?.ApplyServerSideEncryptionByDefault?.KMSMasterKeyID ?? "the AWS managed key";
    return pass(what, `SSE-KMS with ${key}${rule?.BucketKeyEnabled ? ", bucket key on" : ""}`);
  }
  return fail(what, `${algorithm ? `unexpected algorithm ${algorithm}` : "no default encryption rule"}: ${RESTORE}`);
}

/** Versioning must be Enabled, so an overwritten or deleted Raw file can be recovered. */
export function judgeVersioning(status: string | undefined): CheckResult {
  const what = "bucket versioning";
  return status === "Enabled"
    ? pass(what, "Enabled")
    : fail(what, `${status ?? "never enabled"}, expected Enabled: ${RESTORE}`);
}

const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : value === undefined ? [] : [value]);

/**
 * The bucket policy must deny every S3 action to everyone over plain HTTP, on the bucket and its objects: a Deny with
 * principal `*`, action `s3:*`, both resources and `aws:SecureTransport` false (AWS hands the policy back with its
 * values as strings, so `"false"` counts as `false`).
 */
export function judgeTlsPolicy(policyJson: string | undefined, bucket: string): CheckResult {
  const what = "bucket policy denies non-TLS";
  if (!policyJson) return fail(what, `the bucket has no policy: ${RESTORE}`);
  let statements: unknown[];
  try {
    statements = asList((JSON.parse(policyJson) as { Statement?: unknown }).Statement);
  } catch {
    return fail(what, "the bucket policy is not JSON");
  }
  const arn = `arn:aws:s3:::${bucket}`;
  const found = statements.find((raw) => {
    const statement = raw as Record<string, unknown>;
    const principal = statement.Principal;
    const everyone =
      principal === "*" ||
      (typeof principal === "object" &&
        principal !== null &&
        asList((principal as { AWS?: unknown }).AWS).includes("*"));
    const resources = asList(statement.Resource);
    const condition = (statement.Condition as { Bool?: Record<string, unknown> } | undefined)?.Bool;
    const secure = condition?.["aws:SecureTransport"];
    return (
      statement.Effect === "Deny" &&
      everyone &&
      asList(statement.Action).some((action) => action === "s3:*" || action === "*") &&
      resources.includes(arn) &&
      resources.includes(`${arn}/*`) &&
      asList(secure).some((value) => value === false || value === "false")
    );
  });
  if (!found)
    return fail(what, `no Deny of s3:* to * when aws:SecureTransport is false on ${arn} and ${arn}/*: ${RESTORE}`);
  const sid = (found as { Sid?: unknown }).Sid;
  return pass(what, `statement ${typeof sid === "string" ? sid : "(no Sid)"} denies s3:* without TLS`);
}

/** Ownership must be BucketOwnerEnforced: ACLs off, the stack's account owns every object. */
export function judgeOwnership(ownership: string | undefined): CheckResult {
  const what = "bucket ownership controls";
  return ownership === "BucketOwnerEnforced"
    ? pass(what, "BucketOwnerEnforced (ACLs disabled)")
    : fail(what, `${ownership ?? "none set"}, expected BucketOwnerEnforced: ${RESTORE}`);
}

/** Runs one S3 read; the error codes in `absent` mean "not configured" and become `undefined`. */
async function readSetting<T>(read: () => Promise<T>, absent: string): Promise<{ value?: T; error?: string }> {
  try {
    return { value: await read() };
  } catch (error) {
    if (errorName(error) === absent) return {};
    return { error: errorLine(error) };
  }
}

/** The five bucket settings, one result each. */
export async function checkBucket(s3: Sender<S3Client>, bucket: string): Promise<CheckResult[]> {
  const Bucket = bucket;
  const [publicAccess, encryption, versioning, policy, ownership] = await Promise.all([
    readSetting(
      async () => (await s3.send(new GetPublicAccessBlockCommand({ Bucket }))).PublicAccessBlockConfiguration,
      "NoSuchPublicAccessBlockConfiguration",
    ),
    readSetting(
      async () => (await s3.send(new GetBucketEncryptionCommand({ Bucket }))).ServerSideEncryptionConfiguration?.Rules,
      "ServerSideEncryptionConfigurationNotFoundError",
    ),
    readSetting(async () => (await s3.send(new GetBucketVersioningCommand({ Bucket }))).Status, ""),
    readSetting(async () => (await s3.send(new GetBucketPolicyCommand({ Bucket }))).Policy, "NoSuchBucketPolicy"),
    readSetting(
      async () =>
        (await s3.send(new GetBucketOwnershipControlsCommand({ Bucket }))).OwnershipControls?.Rules?.[0]
          ?.ObjectOwnership,
      "OwnershipControlsNotFoundError",
    ),
  ]);
  const judged: [string, { value?: unknown; error?: string }, () => CheckResult][] = [
    ["bucket public access block", publicAccess, () => judgePublicAccessBlock(publicAccess.value)],
    ["bucket default encryption", encryption, () => judgeEncryption(encryption.value)],
    ["bucket versioning", versioning, () => judgeVersioning(versioning.value)],
    ["bucket policy denies non-TLS", policy, () => judgeTlsPolicy(policy.value, bucket)],
    ["bucket ownership controls", ownership, () => judgeOwnership(ownership.value)],
  ];
  return judged.map(([what, read, judge]) => (read.error ? fail(what, `${bucket}: ${read.error}`) : judge()));
}

// ---------------------------------------------------------------------------------------------------------- lambda

/** The part of an Invoke response the check reads. */
export interface InvokeResponse {
  StatusCode?: number;
  FunctionError?: string;
  Payload?: Uint8Array;
}

const LAMBDA_WHAT = "ApiIngestor slice (Lambda invoke)";

/**
 * What one synchronous invocation of the ApiIngestor says: a FunctionError fails with the handler's own message (e.g.
 * "no Raw CSV ...: run the BatchIngestor first"); otherwise the payload must be the slice's counts
 * (runtime/api-ingestor/handler.ts returns `{ done, fetched, notFound, failed, remaining, slice, ... }`).
 */
export function judgeInvokeResponse(response: InvokeResponse): CheckResult {
  const text = response.Payload ? Buffer.from(response.Payload).toString("utf8") : "";
  let body: unknown;
  try {
    body = text === "" ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  const snippet = text.length > 200 ? `${text.slice(0, 200)}...` : text;
  if (response.FunctionError) {
    const error = (body ?? {}) as { errorType?: unknown; errorMessage?: unknown };
    const message =
      typeof error.errorMessage === "string"
        ? `${typeof error.errorType === "string" ? `${error.errorType}: ` : ""}${error.errorMessage}`
        : snippet || "no error message";
    return fail(LAMBDA_WHAT, `${response.FunctionError} error: ${message.split("\n")[0]} (logs: /aws/lambda/<name>)`);
  }
  if (response.StatusCode !== undefined && response.StatusCode !== 200)
    return fail(LAMBDA_WHAT, `HTTP status ${response.StatusCode}: ${snippet}`);
  const counts = body as Record<string, unknown> | undefined;
  const numbers = ["fetched", "notFound", "failed", "remaining"] as const;
  if (
    typeof counts !== "object" ||
    counts === null ||
    typeof counts.done !== "boolean" ||
    numbers.some((key) => typeof counts[key] !== "number")
  )
    return fail(LAMBDA_WHAT, `the response is not the slice's counts (done, fetched, ..., remaining): ${snippet}`);
  const slice = counts.slice as { fetched?: unknown; stoppedBy?: unknown; durationMs?: unknown } | undefined;
  const sliceText =
    slice && typeof slice.fetched === "number"
      ? `; this slice fetched ${slice.fetched}` +
        (typeof slice.durationMs === "number" ? ` in ${Math.round(slice.durationMs / 1000)} s` : "") +
        (typeof slice.stoppedBy === "string" ? `, stopped by ${slice.stoppedBy}` : "")
      : "";
  return pass(
    LAMBDA_WHAT,
    `done=${counts.done}, fetched ${counts.fetched}, not found ${counts.notFound}, failed ${counts.failed}, ` +
      `remaining ${counts.remaining}${sliceText}`,
  );
}

/**
 * Runs one slice now (a synchronous Invoke with an empty event, which the handler ignores) and judges its answer.
 * The client should not retry: a retried Invoke would run a second slice.
 */
export async function checkLambdaSlice(lambda: Sender<LambdaClient>, functionName: string): Promise<CheckResult> {
  try {
    const response = await lambda.send(
      new InvokeCommand({ FunctionName: functionName, InvocationType: "RequestResponse", Payload: "{}" }),
    );
    const result = judgeInvokeResponse(response);
    return result.status === "fail" ? { ...result, detail: result.detail.replace("<name>", functionName) } : result;
  } catch (error) {
    const hint =
      errorName(error) === "TooManyRequestsException"
        ? " (a scheduled slice is running and the reserved concurrency is 1: try again when it ends)"
        : "";
    return fail(LAMBDA_WHAT, `${functionName}: ${errorLine(error)}${hint}`);
  }
}

// -------------------------------------------------------------------------------------------------------- workflow

/** How long to wait for a workflow run, and how (injectable so tests need not sleep). */
export interface WaitOptions {
  /** Give up after this long (the run is left running). */
  timeoutMs: number;
  /** Time between GetWorkflowRun / GetQueryExecution calls. */
  pollMs: number;
  /** Defaults to a real timer. */
  sleep?: (ms: number) => Promise<void>;
  /** Defaults to `Date.now`. */
  now?: () => number;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const WORKFLOW_WHAT = "Glue workflow run";

/** Minutes and seconds, for durations in the report. */
function duration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

/**
 * What a workflow run's state says. Not waiting, RUNNING or COMPLETED means it started. Having waited, only a
 * COMPLETED run whose every action succeeded passes: Glue marks a run COMPLETED even when a job in it failed.
 */
export function judgeWorkflowRun(run: WorkflowRun | undefined, waited: boolean): CheckResult {
  const status = run?.Status ?? "unknown";
  const id = run?.WorkflowRunId ?? "?";
  const stats = run?.Statistics;
  const failed = (stats?.FailedActions ?? 0) + (stats?.TimeoutActions ?? 0) + (stats?.ErroredActions ?? 0);
  const stopped = stats?.StoppedActions ?? 0;
  const counts = stats
    ? `${stats.SucceededActions ?? 0} succeeded, ${failed} failed or timed out, ${stopped} stopped, ` +
      `${stats.RunningActions ?? 0} running`
    : "no statistics";
  if (!waited) {
    if (status === "RUNNING" || status === "COMPLETED")
      return pass(WORKFLOW_WHAT, `run ${id} ${status} (not waited for: --wait follows it to the end)`);
    return fail(WORKFLOW_WHAT, `run ${id} ${status}${run?.ErrorMessage ? `: ${run.ErrorMessage}` : ""}`);
  }
  if (status === "COMPLETED" && failed === 0 && stopped === 0)
    return pass(WORKFLOW_WHAT, `run ${id} COMPLETED: ${counts}`);
  return fail(
    WORKFLOW_WHAT,
    `run ${id} ${status}: ${counts}${run?.ErrorMessage ? `; ${run.ErrorMessage}` : ""} ` +
      "(each job's error: aws glue get-job-runs --job-name <job>)",
  );
}

/** Starts a run of the workflow and reads its state, following it to the end when `wait` is given. */
export async function checkWorkflowRun(
  glue: Sender<GlueClient>,
  workflowName: string | undefined,
  wait?: WaitOptions,
): Promise<CheckResult> {
  if (!workflowName)
    return skip(WORKFLOW_WHAT, "the stack has no Glue workflow (output glueWorkflowName is undefined)");
  let runId: string | undefined;
  try {
    runId = (await glue.send(new StartWorkflowRunCommand({ Name: workflowName }))).RunId;
    if (!runId) return fail(WORKFLOW_WHAT, `${workflowName}: StartWorkflowRun returned no RunId`);
    const read = async () =>
      (await glue.send(new GetWorkflowRunCommand({ Name: workflowName, RunId: runId, IncludeGraph: false }))).Run;
    let run = await read();
    if (!wait) return judgeWorkflowRun(run, false);
    const sleep = wait.sleep ?? realSleep;
    const now = wait.now ?? Date.now;
    const started = now();
    while (run?.Status === "RUNNING" || run?.Status === "STOPPING") {
      if (now() - started >= wait.timeoutMs)
        return fail(
          WORKFLOW_WHAT,
          `run ${runId} still ${run.Status} after ${duration(now() - started)} (left running): ` +
            "raise --wait-minutes, or follow it with aws glue get-workflow-run",
        );
      await sleep(wait.pollMs);
      run = await read();
    }
    const result = judgeWorkflowRun(run, true);
    return { ...result, detail: `${result.detail} after ${duration(now() - started)}` };
  } catch (error) {
    const hint =
      errorName(error) === "ConcurrentRunsExceededException"
        ? " (a run is already in progress and the workflow allows one at a time: wait for it, see aws glue get-workflow-runs)"
        : "";
    return fail(WORKFLOW_WHAT, `${workflowName}${runId ? ` run ${runId}` : ""}: ${errorLine(error)}${hint}`);
  }
}

// ---------------------------------------------------------------------------------------------------------- athena

/** The one query run per view: the cheapest query that makes Athena plan the view against its tables. */
export function viewProbeSql(view: string): string {
  return `SELECT * FROM ${view} LIMIT 1`;
}

/** What a finished (or still unfinished) query execution says about its view. */
export function judgeQueryExecution(view: string, execution: QueryExecution | undefined): CheckResult {
  const what = `Athena view ${view}`;
  const state = execution?.Status?.State ?? "unknown";
  if (state === "SUCCEEDED") {
    const scanned = execution?.Statistics?.DataScannedInBytes;
    const ms = execution?.Statistics?.TotalExecutionTimeInMillis;
    return pass(
      what,
      `SUCCEEDED${ms !== undefined ? ` in ${(ms / 1000).toFixed(1)} s` : ""}` +
        `${scanned !== undefined ? `, ${scanned} bytes scanned` : ""}`,
    );
  }
  const reason = execution?.Status?.AthenaError?.ErrorMessage ?? execution?.Status?.StateChangeReason;
  return fail(
    what,
    `${state}${reason ? `: ${reason.split("\n")[0]}` : ""} (query ${execution?.QueryExecutionId ?? "?"})`,
  );
}

/** Where the view queries run. */
export interface AthenaTarget {
  workgroup: string;
  database: string;
}

/**
 * Runs `SELECT * FROM <view> LIMIT 1` in the workgroup and database, polls it to the end, and reports whether a row
 * came back (none is not a failure: the Refined tables are empty until the workflow has run). A query still running
 * at the timeout is stopped, so the check leaves nothing behind.
 */
export async function checkViewQuery(
  athena: Sender<AthenaClient>,
  view: string,
  target: AthenaTarget,
  wait: WaitOptions,
): Promise<CheckResult> {
  const what = `Athena view ${view}`;
  const sleep = wait.sleep ?? realSleep;
  const now = wait.now ?? Date.now;
  let id: string | undefined;
  try {
    id = (
      await athena.send(
        new StartQueryExecutionCommand({
          QueryString: viewProbeSql(view),
          WorkGroup: target.workgroup,
          QueryExecutionContext: { Catalog: "AwsDataCatalog", Database: target.database },
        }),
      )
    ).QueryExecutionId;
    if (!id) return fail(what, "StartQueryExecution returned no QueryExecutionId");
    const started = now();
    for (;;) {
      const execution = (await athena.send(new GetQueryExecutionCommand({ QueryExecutionId: id }))).QueryExecution;
      const state = execution?.Status?.State;
      if (state !== "QUEUED" && state !== "RUNNING") {
        const result = judgeQueryExecution(view, execution);
        if (result.status !== "pass") return result;
        const rows = (await athena.send(new GetQueryResultsCommand({ QueryExecutionId: id, MaxResults: 2 }))).ResultSet
          ?.Rows;
        // The first row of a SELECT's results is the header.
        const dataRows = Math.max(0, (rows?.length ?? 0) - 1);
        return {
          ...result,
          detail: `${result.detail}, ${dataRows === 0 ? "no row yet (empty until the Glue workflow has run)" : "1 row"}`,
        };
      }
      if (now() - started >= wait.timeoutMs) {
        await athena.send(new StopQueryExecutionCommand({ QueryExecutionId: id })).catch(() => undefined);
        return fail(
          what,
          `still ${state} after ${duration(now() - started)} (query ${id} stopped): raise --query-seconds`,
        );
      }
      await sleep(wait.pollMs);
    }
  } catch (error) {
    return fail(what, `${id ? `query ${id}: ` : ""}${errorLine(error)}`);
  }
}

/** The registry's views (lake/tables.ts), one query each, at most `concurrency` at a time, in registry order. */
export async function checkViews(
  athena: Sender<AthenaClient>,
  target: AthenaTarget,
  wait: WaitOptions,
  options: { views?: readonly string[]; concurrency?: number } = {},
): Promise<CheckResult[]> {
  const views = options.views ?? VIEWS.map((view) => view.name);
  const results: CheckResult[] = new Array(views.length);
  let next = 0;
  // A few at a time: new accounts have a low quota of concurrent Athena queries.
  const worker = async () => {
    for (let index = next++; index < views.length; index = next++)
      results[index] = await checkViewQuery(athena, views[index] as string, target, wait);
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 3, views.length) }, worker));
  return results;
}

// ------------------------------------------------------------------------------------------------------- dashboard

const DASHBOARD_WHAT = "QuickSight dashboard";

/** The dashboard must exist and its current version must have been created (or updated) successfully. */
export async function checkDashboard(
  quicksight: Sender<QuickSightClient>,
  sts: Sender<STSClient>,
  dashboardId: string | undefined,
): Promise<CheckResult> {
  if (!dashboardId)
    return skip(
      DASHBOARD_WHAT,
      "the stack has no dashboard (output dashboardId is undefined: cinelake:dashboard false)",
    );
  try {
    const account = (await sts.send(new GetCallerIdentityCommand({}))).Account;
    if (!account) return fail(DASHBOARD_WHAT, "STS GetCallerIdentity returned no account id");
    const dashboard = (
      await quicksight.send(new DescribeDashboardCommand({ AwsAccountId: account, DashboardId: dashboardId }))
    ).Dashboard;
    const status = dashboard?.Version?.Status ?? "unknown";
    if (status === "CREATION_SUCCESSFUL" || status === "UPDATE_SUCCESSFUL")
      return pass(DASHBOARD_WHAT, `${dashboardId} version ${dashboard?.Version?.VersionNumber ?? "?"} ${status}`);
    const errors = (dashboard?.Version?.Errors ?? []).map((error) => `${error.Type}: ${error.Message}`).join("; ");
    return fail(
      DASHBOARD_WHAT,
      `${dashboardId} ${status}${errors ? `: ${errors}` : ""}` +
        (status.endsWith("IN_PROGRESS") ? " (run the smoke check again in a minute)" : ""),
    );
  } catch (error) {
    return fail(DASHBOARD_WHAT, `${dashboardId}: ${errorLine(error)}`);
  }
}

// --------------------------------------------------------------------------------------------------------- the run

/** The clients every check talks through. */
export interface SmokeClients {
  s3: Sender<S3Client>;
  lambda: Sender<LambdaClient>;
  glue: Sender<GlueClient>;
  athena: Sender<AthenaClient>;
  quicksight: Sender<QuickSightClient>;
  sts: Sender<STSClient>;
}

/** What to run and how long to wait. */
export interface SmokeOptions {
  /** Groups not to run (each still prints a skipped line). */
  skip?: readonly CheckGroup[];
  /** Follow the workflow run to its end, with this timeout; undefined: only check that it started. */
  workflowWait?: WaitOptions;
  /** Each Athena query's timeout and polling. */
  queryWait: WaitOptions;
}

/** Runs every check group in order, handing each result to `report` as soon as it is known; resolves to them all. */
export async function runSmokeChecks(
  clients: SmokeClients,
  outputs: SmokeOutputs,
  options: SmokeOptions,
  report: (result: CheckResult) => void = () => {},
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const emit = (result: CheckResult) => {
    results.push(result);
    report(result);
  };
  const skipped = new Set(options.skip ?? []);
  const target = { workgroup: outputs.athenaWorkgroup, database: outputs.refinedDatabase };
  const groups: Record<CheckGroup, { what: string; run: () => Promise<CheckResult | CheckResult[]> }> = {
    bucket: { what: `bucket ${outputs.bucket} settings`, run: () => checkBucket(clients.s3, outputs.bucket) },
    lambda: { what: LAMBDA_WHAT, run: () => checkLambdaSlice(clients.lambda, outputs.lambdaName) },
    workflow: {
      what: WORKFLOW_WHAT,
      run: () => checkWorkflowRun(clients.glue, outputs.glueWorkflowName, options.workflowWait),
    },
    athena: {
      what: `Athena views (${VIEWS.length})`,
      run: () => checkViews(clients.athena, target, options.queryWait),
    },
    dashboard: {
      what: DASHBOARD_WHAT,
      run: () => checkDashboard(clients.quicksight, clients.sts, outputs.dashboardId),
    },
  };
  for (const name of CHECK_GROUPS) {
    const group = groups[name];
    if (skipped.has(name)) {
      emit(skip(group.what, `--skip ${name}`));
      continue;
    }
    const outcome = await group.run();
    for (const result of Array.isArray(outcome) ? outcome : [outcome]) emit(result);
  }
  return results;
}

const MARKS: Record<CheckStatus, string> = { pass: "✓", fail: "✗", skip: "–" };

/** One report line: mark, what, detail. */
export function formatResult(result: CheckResult): string {
  return `${MARKS[result.status]} ${result.what.padEnd(40)} ${result.status === "skip" ? "skipped: " : ""}${result.detail}`;
}

/** The closing line, and whether the run failed (any check failed, or none ran). */
export function summarize(results: readonly CheckResult[]): { line: string; failed: boolean } {
  const count = (status: CheckStatus) => results.filter((result) => result.status === status).length;
  const [passed, failed, skipped] = [count("pass"), count("fail"), count("skip")];
  const none = passed + failed === 0;
  return {
    line:
      `${results.length} checks: ${passed} passed, ${failed} failed, ${skipped} skipped` +
      (none ? " — nothing was checked (everything skipped)" : ""),
    failed: failed > 0 || none,
  };
}
