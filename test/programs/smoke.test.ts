/**
 * The post-deploy smoke check (programs/smoke): its checks against moto's server for the calls moto implements (S3
 * bucket settings, Athena queries, Glue workflow runs, QuickSight DescribeDashboard, STS), the Lambda invoke against a
 * local HTTP endpoint speaking Lambda's Invoke API (moto runs functions only in Docker), the answers no local server
 * gives (a failed Athena query, a finished workflow run with a failed job) through the pure judges, and the CLI run as
 * a process against those servers, through `--outputs` and through a `pulumi` stand-in on PATH.
 */
import { AthenaClient, GetQueryExecutionCommand, StartQueryExecutionCommand } from "@aws-sdk/client-athena";
import { CreateWorkflowCommand, GlueClient, type WorkflowRun } from "@aws-sdk/client-glue";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { CreateDashboardCommand, QuickSightClient } from "@aws-sdk/client-quicksight";
import {
  CreateBucketCommand,
  PutBucketEncryptionCommand,
  PutBucketOwnershipControlsCommand,
  PutBucketPolicyCommand,
  PutBucketVersioningCommand,
  PutPublicAccessBlockCommand,
  type PublicAccessBlockConfiguration,
  type S3Client,
} from "@aws-sdk/client-s3";
import { STSClient } from "@aws-sdk/client-sts";
import { expect } from "chai";
import { execFile } from "node:child_process";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { Readable } from "node:stream";
import { denyInsecureTransportStatement, policyDocument } from "../../components/policy";
import { VIEWS } from "../../lake/tables";
import { parseSmokeArgs } from "../../programs/smoke/cli";
import {
  checkBucket,
  checkDashboard,
  checkLambdaSlice,
  checkViewQuery,
  checkViews,
  checkWorkflowRun,
  formatResult,
  judgeInvokeResponse,
  judgeQueryExecution,
  judgeTlsPolicy,
  judgeWorkflowRun,
  parseSmokeOutputs,
  stackRegion,
  summarize,
  type CheckResult,
  type Sender,
} from "../../programs/smoke/checks";
import { startS3Server, type LocalS3Server } from "../../runtime/local/s3Server";
import { makeS3Client } from "../../runtime/shared/s3Client";

const REPO_ROOT = resolve(__dirname, "..", "..");
const ACCOUNT = "123456789012"; // moto's default account, which its STS reports
const FAST = { timeoutMs: 10_000, pollMs: 20 };
const SLICE = {
  done: false,
  csvDate: "2022-05-02",
  selected: 5000,
  fetched: 120,
  notFound: 6,
  failed: 1,
  remaining: 4873,
  slice: { fetched: 120, notFound: 6, failed: 1, stoppedBy: "deadline", durationMs: 287_400, files: [] },
};

const statuses = (results: CheckResult[]) => results.map((result) => result.status);
const bytes = (text: string) => new TextEncoder().encode(text);

/** The bucket policy the DataLakeBucket component writes, built by the same function. */
function lakePolicy(bucket: string): string {
  return JSON.stringify(policyDocument([denyInsecureTransportStatement(`arn:aws:s3:::${bucket}`)]));
}

/** Creates a bucket with its public access block set to `block` (the one setting every bucket here starts with). */
async function createBucketWithBlock(
  s3: S3Client,
  Bucket: string,
  block: PublicAccessBlockConfiguration,
): Promise<void> {
  await s3.send(new CreateBucketCommand({ Bucket }));
  await s3.send(new PutPublicAccessBlockCommand({ Bucket, PublicAccessBlockConfiguration: block }));
}

/** Configures a bucket the way DataLakeBucket does. */
async function configureRight(s3: S3Client, Bucket: string): Promise<void> {
  await createBucketWithBlock(s3, Bucket, {
    BlockPublicAcls: true,
    IgnorePublicAcls: true,
    BlockPublicPolicy: true,
    RestrictPublicBuckets: true,
  });
  await s3.send(
    new PutBucketEncryptionCommand({
      Bucket,
      ServerSideEncryptionConfiguration: {
        Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }],
      },
    }),
  );
  await s3.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: "Enabled" } }));
  await s3.send(new PutBucketPolicyCommand({ Bucket, Policy: lakePolicy(Bucket) }));
  await s3.send(
    new PutBucketOwnershipControlsCommand({
      Bucket,
      OwnershipControls: { Rules: [{ ObjectOwnership: "BucketOwnerEnforced" }] },
    }),
  );
}

/** A local endpoint speaking Lambda's Invoke API, answering with what `reply` returns; records what it was sent. */
async function startLambdaStandin(
  reply: (functionName: string) => { status?: number; headers?: Record<string, string>; body: string },
): Promise<{
  endpoint: string;
  requests: { path: string; headers: IncomingHttpHeaders; body: string }[];
  server: Server;
}> {
  const requests: { path: string; headers: IncomingHttpHeaders; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      requests.push({ path: req.url ?? "", headers: req.headers, body });
      const name = decodeURIComponent(/^\/2015-03-31\/functions\/([^/]+)\/invocations/.exec(req.url ?? "")?.[1] ?? "");
      const answer = reply(name);
      res.writeHead(answer.status ?? 200, { "content-type": "application/json", ...(answer.headers ?? {}) });
      res.end(answer.body);
    });
  });
  await new Promise<void>((ready) => server.listen(0, "127.0.0.1", ready));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, server };
}

/** The stand-in's answers: the slice's counts for `cinelake-ok-api-ingestor`, the handler's error for any other. */
function lambdaReply(name: string) {
  return name === "cinelake-ok-api-ingestor"
    ? { body: JSON.stringify(SLICE) }
    : {
        headers: { "x-amz-function-error": "Unhandled" },
        body: JSON.stringify({
          errorType: "Error",
          errorMessage: "no Raw CSV in s3://cinelake-bad-lake/Raw/Local/CSV/: run the BatchIngestor first",
          trace: ["Error: no Raw CSV", "    at latestCsvDate"],
        }),
      };
}

/**
 * moto's DescribeDashboard answer breaks two rules of QuickSight's API that the JS SDK enforces: its times are Python
 * date strings (the API sends epoch seconds) and `SourceEntityArn` is an object. This rewrites those two fields, so the
 * check's own request and reading run against moto.
 */
function motoQuickSightJson(text: string): string {
  return JSON.stringify(JSON.parse(text || "{}"), (key, value: unknown) =>
    key === "SourceEntityArn" && typeof value !== "string"
      ? undefined
      : key.endsWith("Time") && typeof value === "string"
        ? Date.parse(`${value.replace(" ", "T")}Z`) / 1000
        : value,
  );
}

/** Applies {@link motoQuickSightJson} to a client's raw responses, before the SDK's deserializer reads them. */
function acceptMotoDashboards(client: QuickSightClient): QuickSightClient {
  client.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      const response = result.response as { body: AsyncIterable<Buffer>; headers: Record<string, string> };
      const chunks: Buffer[] = [];
      for await (const chunk of response.body) chunks.push(Buffer.from(chunk));
      const fixed = motoQuickSightJson(Buffer.concat(chunks).toString("utf8"));
      response.body = Readable.from([Buffer.from(fixed)]);
      response.headers["content-length"] = String(Buffer.byteLength(fixed));
      return result;
    },
    { step: "deserialize", priority: "low", name: "acceptMotoDashboards" },
  );
  return client;
}

/** The same rewrite as a proxy in front of moto, for the CLI run as a process (AWS_ENDPOINT_URL_QUICKSIGHT). */
async function startQuickSightProxy(moto: string): Promise<{ endpoint: string; server: Server }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", async () => {
      const headers = Object.fromEntries(
        Object.entries(req.headers).filter(([name]) => name !== "host" && name !== "content-length"),
      ) as Record<string, string>;
      const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
      const upstream = await fetch(`${moto}${req.url ?? "/"}`, { method: req.method ?? "GET", headers, body });
      const text = motoQuickSightJson(await upstream.text());
      res.writeHead(upstream.status, { "content-type": "application/json" });
      res.end(text);
    });
  });
  await new Promise<void>((ready) => server.listen(0, "127.0.0.1", ready));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** Runs the smoke CLI as a process; never throws on a non-zero exit. */
function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ["--import", "tsx", join(REPO_ROOT, "programs/smoke/cli.ts"), ...args],
      { cwd: REPO_ROOT, env, timeout: 90_000 },
      (error, stdout, stderr) =>
        done({
          code: error ? ((error as { code?: number }).code ?? 1) : 0,
          stdout: String(stdout),
          stderr: String(stderr),
        }),
    );
  });
}

describe("smoke check: the judges and the parsing (no server)", () => {
  const outputs = {
    bucket: "cinelake-alice-lake",
    zones: { raw: "s3://cinelake-alice-lake/Raw/" },
    lambdaName: "cinelake-alice-api-ingestor",
    athenaWorkgroup: "cinelake-alice",
    refinedDatabase: "cinelake_alice_refined",
    glueWorkflowName: "cinelake-alice-pipeline",
    dashboardId: null,
    dockerRunCommand: "docker run --rm -v $PWD:/data:ro -e LAKE_BUCKET=cinelake-alice-lake -e AWS_REGION=eu-west-1 x",
  };

  it("reads the outputs it needs; an undefined dashboard (null or absent) is left out", () => {
    const parsed = parseSmokeOutputs(outputs, "stack alice");
    expect(parsed.bucket).to.equal("cinelake-alice-lake");
    expect(parsed.glueWorkflowName).to.equal("cinelake-alice-pipeline");
    expect(parsed).not.to.have.property("dashboardId");
    expect(() => parseSmokeOutputs({ ...outputs, bucket: undefined, lambdaName: 3 }, "out.json")).to.throw(
      "out.json has no bucket, lambdaName: is it a cinelake stack after pulumi up?",
    );
    expect(() => parseSmokeOutputs([], "out.json")).to.throw("not a JSON object of stack outputs");
  });

  it("takes the region from the outputs before AWS_REGION, and names the fix when there is none", () => {
    const parsed = parseSmokeOutputs(outputs, "s");
    expect(stackRegion(parsed, { AWS_REGION: "us-east-1" })).to.deep.equal({
      region: "eu-west-1",
      from: "output dockerRunCommand",
    });
    const bare = parseSmokeOutputs({ ...outputs, dockerRunCommand: undefined }, "s");
    expect(
      stackRegion({ ...bare, dashboardUrl: "https://sa-east-1.quicksight.aws.amazon.com/sn/dashboards/d" }, {}),
    ).to.have.property("region", "sa-east-1");
    expect(stackRegion(bare, { AWS_DEFAULT_REGION: "us-west-2" })).to.deep.equal({
      region: "us-west-2",
      from: "AWS_DEFAULT_REGION",
    });
    expect(() => stackRegion(bare, {})).to.throw("export AWS_REGION=");
  });

  it("accepts the component's own TLS statement, also as AWS hands it back, and refuses near misses", () => {
    const bucket = "cinelake-alice-lake";
    const arn = `arn:aws:s3:::${bucket}`;
    expect(judgeTlsPolicy(lakePolicy(bucket), bucket).status).to.equal("pass");
    const normalized = {
      Version: "2012-10-17",
      Statement: {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: { AWS: "*" },
        Action: "s3:*",
        Resource: [`${arn}/*`, arn],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    };
    expect(judgeTlsPolicy(JSON.stringify(normalized), bucket).status).to.equal("pass");
    const objectsOnly = { ...normalized, Statement: { ...normalized.Statement, Resource: `${arn}/*` } };
    const allow = { ...normalized, Statement: { ...normalized.Statement, Effect: "Allow" } };
    const otherBucket = lakePolicy("cinelake-bob-lake");
    for (const policy of [JSON.stringify(objectsOnly), JSON.stringify(allow), otherBucket]) {
      const result = judgeTlsPolicy(policy, bucket);
      expect(result.status).to.equal("fail");
      expect(result.detail).to.contain("pulumi up --refresh");
    }
    expect(judgeTlsPolicy(undefined, bucket).detail).to.contain("no policy");
  });

  it("reads the slice's counts from an invocation, and a FunctionError's own message", () => {
    const ok = judgeInvokeResponse({ StatusCode: 200, Payload: bytes(JSON.stringify(SLICE)) });
    expect(ok.status).to.equal("pass");
    expect(ok.detail).to.equal(
      "done=false, fetched 120, not found 6, failed 1, remaining 4873; this slice fetched 120 in 287 s, stopped by deadline",
    );
    const error = judgeInvokeResponse({
      StatusCode: 200,
      FunctionError: "Unhandled",
      Payload: bytes(JSON.stringify({ errorType: "ConfigError", errorMessage: "TMDB token refused (HTTP 401)\nmore" })),
    });
    expect(error.status).to.equal("fail");
    expect(error.detail).to.contain("Unhandled error: ConfigError: TMDB token refused (HTTP 401) (logs:");
    const timeout = judgeInvokeResponse({
      FunctionError: "Unhandled",
      Payload: bytes(JSON.stringify({ errorMessage: "Task timed out after 900.10 seconds" })),
    });
    expect(timeout.detail).to.contain("Task timed out after 900.10 seconds");
    const notCounts = judgeInvokeResponse({ StatusCode: 200, Payload: bytes('"Simple Lambda happy path OK"') });
    expect(notCounts.status).to.equal("fail");
    expect(notCounts.detail).to.contain("not the slice's counts");
    expect(judgeInvokeResponse({ StatusCode: 200, Payload: bytes("<html>") }).status).to.equal("fail");
  });

  it("passes a waited-for workflow run only when COMPLETED with every action succeeded", () => {
    const run = (Status: WorkflowRun["Status"], stats: Record<string, number>): WorkflowRun => ({
      WorkflowRunId: "wr_1",
      Status,
      Statistics: { TotalActions: 3, SucceededActions: 0, ...stats },
    });
    expect(judgeWorkflowRun(run("COMPLETED", { SucceededActions: 3 }), true).status).to.equal("pass");
    const failedJob = judgeWorkflowRun(run("COMPLETED", { SucceededActions: 2, FailedActions: 1 }), true);
    expect(failedJob.status).to.equal("fail");
    expect(failedJob.detail).to.contain("2 succeeded, 1 failed or timed out");
    expect(judgeWorkflowRun(run("STOPPED", {}), false).status).to.equal("fail");
    expect(judgeWorkflowRun(run("RUNNING", {}), false).status).to.equal("pass");
    expect(judgeWorkflowRun(run("ERROR", {}), true).status).to.equal("fail");
  });

  it("follows a workflow run until it ends when waiting (GetWorkflowRun polled)", async () => {
    const states: WorkflowRun["Status"][] = ["RUNNING", "RUNNING", "COMPLETED"];
    const sent: string[] = [];
    const glue = {
      send: async (command: { constructor: { name: string } }) => {
        sent.push(command.constructor.name);
        if (command.constructor.name === "StartWorkflowRunCommand") return { RunId: "wr_7" };
        const Status = states.shift();
        return { Run: { WorkflowRunId: "wr_7", Status, Statistics: { SucceededActions: 3, FailedActions: 0 } } };
      },
    } as unknown as Sender<GlueClient>;
    const slept: number[] = [];
    const result = await checkWorkflowRun(glue, "cinelake-alice-pipeline", {
      timeoutMs: 60_000,
      pollMs: 30_000,
      sleep: async (ms) => void slept.push(ms),
    });
    expect(result.status, result.detail).to.equal("pass");
    expect(result.detail).to.contain("run wr_7 COMPLETED: 3 succeeded");
    expect(sent).to.deep.equal([
      "StartWorkflowRunCommand",
      "GetWorkflowRunCommand",
      "GetWorkflowRunCommand",
      "GetWorkflowRunCommand",
    ]);
    expect(slept).to.deep.equal([30_000, 30_000]);
  });

  it("reports a failed Athena query with Athena's reason", () => {
    const result = judgeQueryExecution("v_financials", {
      QueryExecutionId: "q-1",
      Status: {
        State: "FAILED",
        AthenaError: { ErrorMessage: "TABLE_NOT_FOUND: line 3:6: Table 'awsdatacatalog.x.fact_title' does not exist" },
      },
    });
    expect(result.status).to.equal("fail");
    expect(result.detail).to.equal(
      "FAILED: TABLE_NOT_FOUND: line 3:6: Table 'awsdatacatalog.x.fact_title' does not exist (query q-1)",
    );
  });

  it("fails a run where nothing was checked, and formats one line per result", () => {
    expect(summarize([{ status: "skip", what: "a", detail: "b" }]).failed).to.equal(true);
    expect(summarize([{ status: "pass", what: "a", detail: "b" }]).failed).to.equal(false);
    expect(
      summarize([
        { status: "pass", what: "a", detail: "b" },
        { status: "fail", what: "c", detail: "d" },
      ]),
    ).to.deep.equal({ line: "2 checks: 1 passed, 1 failed, 0 skipped", failed: true });
    expect(formatResult({ status: "fail", what: "bucket versioning", detail: "Suspended" })).to.match(
      /^✗ bucket versioning +Suspended$/,
    );
  });

  it("refuses bad arguments with a message naming the fix", () => {
    expect(parseSmokeArgs(["--stack", "alice"])).to.deep.equal({
      source: { stack: "alice" },
      querySeconds: 120,
      skip: [],
    });
    expect(parseSmokeArgs(["--stack", "alice", "--wait", "--skip", "lambda,dashboard"])).to.include({
      waitMinutes: 60,
    });
    expect(() => parseSmokeArgs([])).to.throw("give exactly one of --stack or --outputs");
    expect(() => parseSmokeArgs(["--stack", "a", "--outputs", "o.json"])).to.throw("give exactly one");
    expect(() => parseSmokeArgs(["--stack", "a", "--skip", "lamda"])).to.throw(
      "--skip: unknown check(s) lamda. Fix: name only bucket, lambda, workflow, athena, dashboard",
    );
    expect(() => parseSmokeArgs(["--stack", "a", "--wait-minutes", "5"])).to.throw("--wait-minutes needs --wait");
    expect(() => parseSmokeArgs(["--stack", "a", "--query-seconds", "0"])).to.throw(
      '--query-seconds: "0" is not a number above 0',
    );
    expect(() => parseSmokeArgs(["--stack", "a", "--bogus"])).to.throw("Unknown option '--bogus'");
  });
});

describe("smoke check: against moto's server and a Lambda Invoke endpoint", function () {
  let server: LocalS3Server;
  let s3: S3Client;
  let lambda: Awaited<ReturnType<typeof startLambdaStandin>>;
  let clients: { athena: AthenaClient; glue: GlueClient; quicksight: QuickSightClient; sts: STSClient };
  let work: string;
  let quicksightProxy: Awaited<ReturnType<typeof startQuickSightProxy>>;

  /** Sets how moto moves Athena executions on (manual: after `times` GetQueryExecution calls per state). */
  async function athenaTransition(transition: Record<string, unknown>): Promise<void> {
    const response = await fetch(`${server.endpoint}/moto-api/state-manager/set-transition`, {
      method: "POST",
      body: JSON.stringify({ model_name: "athena::execution", transition }),
    });
    expect(response.status).to.equal(201);
  }

  before(async () => {
    server = await startS3Server();
    s3 = makeS3Client(server.env);
    const config = {
      region: "us-east-1",
      endpoint: server.endpoint,
      credentials: { accessKeyId: server.env.AWS_ACCESS_KEY_ID!, secretAccessKey: server.env.AWS_SECRET_ACCESS_KEY! },
    };
    clients = {
      athena: new AthenaClient(config),
      glue: new GlueClient(config),
      quicksight: acceptMotoDashboards(new QuickSightClient(config)),
      sts: new STSClient(config),
    };
    lambda = await startLambdaStandin(lambdaReply);
    quicksightProxy = await startQuickSightProxy(server.endpoint);
    work = await mkdtemp(join(tmpdir(), "cinelake-smoke-"));
    await configureRight(s3, "cinelake-ok-lake");
    await clients.glue.send(new CreateWorkflowCommand({ Name: "cinelake-ok-pipeline", MaxConcurrentRuns: 1 }));
    await clients.quicksight.send(
      new CreateDashboardCommand({
        AwsAccountId: ACCOUNT,
        DashboardId: "cinelake-ok-dashboard",
        Name: "cinelake ok",
        SourceEntity: {
          SourceTemplate: { Arn: `arn:aws:quicksight:us-east-1:${ACCOUNT}:template/t`, DataSetReferences: [] },
        },
      }),
    );
  });

  after(async () => {
    await new Promise((done) => lambda?.server.close(done));
    await new Promise((done) => quicksightProxy?.server.close(done));
    await server?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("passes a bucket configured as DataLakeBucket configures it", async () => {
    const results = await checkBucket(s3, "cinelake-ok-lake");
    expect(results.map((result) => `${result.status} ${result.what}: ${result.detail}`)).to.deep.equal([
      "pass bucket public access block: all four settings true",
      "pass bucket default encryption: SSE-S3 (AES256)",
      "pass bucket versioning: Enabled",
      "pass bucket policy denies non-TLS: statement DenyInsecureTransport denies s3:* without TLS",
      "pass bucket ownership controls: BucketOwnerEnforced (ACLs disabled)",
    ]);
  });

  it("reports each wrong bucket setting on its own line", async () => {
    const Bucket = "cinelake-wrong-lake";
    await createBucketWithBlock(s3, Bucket, {
      BlockPublicAcls: true,
      IgnorePublicAcls: false,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: false,
    });
    await s3.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: "Suspended" } }));
    // A policy without the TLS condition: denies nothing a client over HTTP would be refused.
    const allowOnly = JSON.parse(lakePolicy(Bucket)) as { Statement: Record<string, unknown>[] };
    delete allowOnly.Statement[0]!.Condition;
    allowOnly.Statement[0]!.Effect = "Allow";
    allowOnly.Statement[0]!.Principal = { AWS: `arn:aws:iam::${ACCOUNT}:root` };
    await s3.send(new PutBucketPolicyCommand({ Bucket, Policy: JSON.stringify(allowOnly) }));
    await s3.send(
      new PutBucketOwnershipControlsCommand({
        Bucket,
        OwnershipControls: { Rules: [{ ObjectOwnership: "ObjectWriter" }] },
      }),
    );
    const results = await checkBucket(s3, Bucket);
    expect(statuses(results)).to.deep.equal(["fail", "fail", "fail", "fail", "fail"]);
    const details = results.map((result) => result.detail);
    expect(details[0]).to.equal(
      "IgnorePublicAcls, RestrictPublicBuckets not true: pulumi up --refresh restores the stack's setting",
    );
    expect(details[1]).to.contain("no default encryption rule");
    expect(details[2]).to.equal("Suspended, expected Enabled: pulumi up --refresh restores the stack's setting");
    expect(details[3]).to.contain("no Deny of s3:* to * when aws:SecureTransport is false");
    expect(details[4]).to.contain("ObjectWriter, expected BucketOwnerEnforced");
  });

  it("reports a bare bucket's missing settings as not set, and a missing bucket on every line", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: "cinelake-bare-lake" }));
    const bare = await checkBucket(s3, "cinelake-bare-lake");
    expect(statuses(bare)).to.deep.equal(["fail", "fail", "fail", "fail", "fail"]);
    expect(bare.map((result) => result.detail.split(":")[0])).to.deep.equal([
      "BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets not true",
      "no default encryption rule",
      "never enabled, expected Enabled",
      "the bucket has no policy",
      "none set, expected BucketOwnerEnforced",
    ]);
    const missing = await checkBucket(s3, "cinelake-missing-lake");
    expect(statuses(missing)).to.deep.equal(["fail", "fail", "fail", "fail", "fail"]);
    for (const result of missing) expect(result.detail).to.match(/^cinelake-missing-lake: NoSuchBucket/);
  });

  it("runs SELECT * FROM <view> LIMIT 1 for every registry view in the workgroup and database, polled to SUCCEEDED", async () => {
    // Each execution stays QUEUED, then RUNNING, for two GetQueryExecution calls: the check must poll through both.
    await athenaTransition({ progression: "manual", times: 2 });
    let polls = 0;
    const started: string[] = [];
    const counting = {
      send: async (command: Parameters<AthenaClient["send"]>[0]) => {
        if (command instanceof GetQueryExecutionCommand) polls++;
        const output = await clients.athena.send(command);
        const id = (output as { QueryExecutionId?: string }).QueryExecutionId;
        if (command instanceof StartQueryExecutionCommand && id) started.push(id);
        return output;
      },
    } as Sender<AthenaClient>;
    const target = { workgroup: "primary", database: "cinelake_ok_refined" };
    let results: CheckResult[];
    try {
      results = await checkViews(counting, target, FAST);
    } finally {
      await athenaTransition({ progression: "immediate" });
    }
    expect(results.map((result) => result.what)).to.deep.equal(VIEWS.map((view) => `Athena view ${view.name}`));
    for (const result of results) {
      expect(result.status, result.detail).to.equal("pass");
      expect(result.detail).to.contain("no row yet");
    }
    expect(polls).to.equal(VIEWS.length * 4);
    const sent = await Promise.all(
      started.map(
        async (QueryExecutionId) =>
          (await clients.athena.send(new GetQueryExecutionCommand({ QueryExecutionId }))).QueryExecution,
      ),
    );
    expect(sent.map((execution) => execution?.Query).sort()).to.deep.equal(
      VIEWS.map((view) => `SELECT * FROM ${view.name} LIMIT 1`).sort(),
    );
    for (const execution of sent) {
      expect(execution?.QueryExecutionContext?.Database).to.equal("cinelake_ok_refined");
      expect(execution?.WorkGroup).to.equal("primary");
    }
  });

  it("stops a query still queued at the timeout and says how to wait longer; an unknown workgroup fails", async () => {
    await athenaTransition({ progression: "manual", times: 1_000_000 });
    try {
      const result = await checkViewQuery(
        clients.athena,
        "v_financials",
        { workgroup: "primary", database: "db" },
        {
          timeoutMs: 200,
          pollMs: 20,
        },
      );
      expect(result.status).to.equal("fail");
      expect(result.detail).to.match(/^still QUEUED after \d+ s \(query [\w-]+ stopped\): raise --query-seconds$/);
      const id = /query ([\w-]+) stopped/.exec(result.detail)![1]!;
      const execution = (await clients.athena.send(new GetQueryExecutionCommand({ QueryExecutionId: id })))
        .QueryExecution;
      expect(execution?.Status?.State).to.equal("CANCELLED");
    } finally {
      await athenaTransition({ progression: "immediate" });
    }
    const unknown = await checkViewQuery(clients.athena, "v_financials", { workgroup: "nope", database: "db" }, FAST);
    expect(unknown.status).to.equal("fail");
    expect(unknown.detail).to.match(/^InvalidRequestException: WorkGroup does not exist/);
  });

  it("starts the Glue workflow and sees it RUNNING; a missing workflow and an unfinished wait fail", async () => {
    const started = await checkWorkflowRun(clients.glue, "cinelake-ok-pipeline");
    expect(started.status, started.detail).to.equal("pass");
    expect(started.detail).to.match(/^run \S+ RUNNING \(not waited for/);
    const missing = await checkWorkflowRun(clients.glue, "cinelake-nope-pipeline");
    expect(missing.status).to.equal("fail");
    expect(missing.detail).to.contain("cinelake-nope-pipeline: EntityNotFoundException");
    // moto never finishes a run: waiting must give up at its timeout and leave the run alone.
    const waited = await checkWorkflowRun(clients.glue, "cinelake-ok-pipeline", { timeoutMs: 150, pollMs: 30 });
    expect(waited.status).to.equal("fail");
    expect(waited.detail).to.match(/still RUNNING after \d+ s \(left running\): raise --wait-minutes/);
    expect((await checkWorkflowRun(clients.glue, undefined)).status).to.equal("skip");
  });

  it("finds the dashboard with DescribeDashboard, fails an unknown one, skips a stack without one", async () => {
    const found = await checkDashboard(clients.quicksight, clients.sts, "cinelake-ok-dashboard");
    expect(found, found.detail).to.deep.include({
      status: "pass",
      detail: "cinelake-ok-dashboard version 1 CREATION_SUCCESSFUL",
    });
    const unknown = await checkDashboard(clients.quicksight, clients.sts, "cinelake-nope-dashboard");
    expect(unknown.status).to.equal("fail");
    expect(unknown.detail).to.contain("ResourceNotFoundException");
    const none = await checkDashboard(clients.quicksight, clients.sts, undefined);
    expect(none.status).to.equal("skip");
    expect(none.detail).to.contain("the stack has no dashboard");
  });

  it("invokes the Lambda through the SDK once, synchronously, and reads its counts or its error", async () => {
    const client = new LambdaClient({
      region: "us-east-1",
      endpoint: lambda.endpoint,
      maxAttempts: 1,
      credentials: { accessKeyId: "x", secretAccessKey: "y" },
    });
    const before = lambda.requests.length;
    const ok = await checkLambdaSlice(client, "cinelake-ok-api-ingestor");
    expect(ok.status, ok.detail).to.equal("pass");
    expect(ok.detail).to.contain("done=false, fetched 120, not found 6, failed 1, remaining 4873");
    const request = lambda.requests[before]!;
    expect(request.path).to.equal("/2015-03-31/functions/cinelake-ok-api-ingestor/invocations");
    expect(request.headers["x-amz-invocation-type"]).to.equal("RequestResponse");
    expect(request.body).to.equal("{}");
    const failed = await checkLambdaSlice(client, "cinelake-bad-api-ingestor");
    expect(failed.status).to.equal("fail");
    expect(failed.detail).to.equal(
      "Unhandled error: Error: no Raw CSV in s3://cinelake-bad-lake/Raw/Local/CSV/: run the BatchIngestor first " +
        "(logs: /aws/lambda/cinelake-bad-api-ingestor)",
    );
    expect(lambda.requests.length - before).to.equal(2);
  });

  describe("the CLI as a process", () => {
    const okOutputs = {
      bucket: "cinelake-ok-lake",
      lambdaName: "cinelake-ok-api-ingestor",
      glueWorkflowName: "cinelake-ok-pipeline",
      athenaWorkgroup: "primary",
      refinedDatabase: "cinelake_ok_refined",
      dashboardId: "cinelake-ok-dashboard",
      dockerRunCommand: "docker run --rm -v $PWD:/data:ro -e LAKE_BUCKET=cinelake-ok-lake -e AWS_REGION=us-east-1 img",
    };
    const env = (): NodeJS.ProcessEnv => ({
      PATH: process.env.PATH,
      HOME: work,
      AWS_ACCESS_KEY_ID: server.env.AWS_ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: server.env.AWS_SECRET_ACCESS_KEY,
      AWS_ENDPOINT_URL: server.endpoint,
      AWS_ENDPOINT_URL_LAMBDA: lambda.endpoint,
      AWS_ENDPOINT_URL_QUICKSIGHT: quicksightProxy.endpoint,
    });

    it("checks a right stack from --outputs: one line per check, exit 0", async () => {
      // Glue allows one run of the workflow at a time on AWS; moto does not enforce it, so a fresh workflow is used.
      await clients.glue.send(new CreateWorkflowCommand({ Name: "cinelake-cli-pipeline" }));
      const file = join(work, "ok.json");
      await writeFile(file, JSON.stringify({ ...okOutputs, glueWorkflowName: "cinelake-cli-pipeline" }));
      const { code, stdout, stderr } = await runCli(["--outputs", file], env());
      expect(code, stdout + stderr).to.equal(0);
      const lines = stdout.trim().split("\n");
      expect(lines[0]).to.equal(
        `smoke check of ${file}: bucket cinelake-ok-lake, region us-east-1 (from output dockerRunCommand), ` +
          `as arn:aws:sts::${ACCOUNT}:user/moto`,
      );
      const checks = lines.slice(1, -1);
      expect(checks).to.have.length(5 + 1 + 1 + VIEWS.length + 1);
      for (const line of checks) expect(line).to.match(/^✓ /);
      expect(checks.join("\n")).to.contain("ApiIngestor slice (Lambda invoke)");
      expect(lines.at(-1)).to.equal(`${checks.length} checks: ${checks.length} passed, 0 failed, 0 skipped`);
      expect(stdout + stderr).not.to.contain(server.env.AWS_SECRET_ACCESS_KEY);
    });

    it("reads the outputs through `pulumi stack output --json --stack`, and exits 1 naming each failure", async () => {
      // A pulumi stand-in on PATH that answers only the exact command the CLI must run.
      const bin = join(work, "bin");
      await rm(bin, { recursive: true, force: true });
      await mkdir(bin);
      const outputs = join(work, "bad.json");
      await writeFile(
        outputs,
        JSON.stringify({
          ...okOutputs,
          bucket: "cinelake-wrong-lake",
          lambdaName: "cinelake-bad-api-ingestor",
          dashboardId: null,
        }),
      );
      await writeFile(
        join(bin, "pulumi"),
        `#!/bin/sh\n[ "$*" = "stack output --json --stack bad" ] || { echo "unexpected: $*" >&2; exit 2; }\ncat ${outputs}\n`,
      );
      await chmod(join(bin, "pulumi"), 0o755);
      const { code, stdout } = await runCli(["--stack", "bad", "--skip", "workflow,athena"], {
        ...env(),
        PATH: `${bin}:${dirname(process.execPath)}:/usr/bin:/bin`,
      });
      expect(code).to.equal(1);
      const lines = stdout.trim().split("\n");
      expect(lines[0]).to.equal(
        "smoke check of the outputs of stack bad: bucket cinelake-wrong-lake, region us-east-1 (from output dockerRunCommand), " +
          `as arn:aws:sts::${ACCOUNT}:user/moto`,
      );
      expect(lines.filter((line) => line.startsWith("✗ "))).to.have.length(6);
      expect(stdout).to.match(/✗ bucket versioning +Suspended, expected Enabled/);
      expect(stdout).to.match(/✗ ApiIngestor slice \(Lambda invoke\) +Unhandled error: Error: no Raw CSV/);
      expect(stdout).to.match(/– Glue workflow run +skipped: --skip workflow/);
      expect(stdout).to.match(/– QuickSight dashboard +skipped: the stack has no dashboard/);
      expect(lines.at(-1)).to.equal("9 checks: 0 passed, 6 failed, 3 skipped");
    });

    it("names the fix when pulumi is missing or an argument is wrong, on one line", async () => {
      const noPulumi = await runCli(["--stack", "alice"], { ...env(), PATH: dirname(process.execPath) });
      expect(noPulumi.code).to.equal(1);
      expect(noPulumi.stderr.trim()).to.equal(
        "smoke: the pulumi CLI is not on PATH: install it, or pass --outputs <file.json> " +
          "(written elsewhere with pulumi stack output --json --stack <student> > outputs.json)",
      );
      const missing = await runCli(["--outputs", join(work, "none.json")], env());
      expect(missing.code).to.equal(1);
      expect(missing.stderr.trim()).to.equal(`smoke: --outputs ${join(work, "none.json")}: no such file`);
      const noRegion = join(work, "noregion.json");
      await writeFile(noRegion, JSON.stringify({ ...okOutputs, dockerRunCommand: undefined }));
      const region = await runCli(["--outputs", noRegion], env());
      expect(region.code).to.equal(1);
      expect(region.stderr).to.contain("export AWS_REGION=<the stack's aws:region>");
      expect(region.stdout).to.equal("");
      // No keys, no profile, no instance metadata: one line naming the fix, no check run.
      const anonymous = { ...env(), AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined };
      const file = join(work, "ok-noauth.json");
      await writeFile(file, JSON.stringify(okOutputs));
      const noAuth = await runCli(["--outputs", file], { ...anonymous, AWS_EC2_METADATA_DISABLED: "true" });
      expect(noAuth.code).to.equal(1);
      expect(noAuth.stdout).to.equal("");
      expect(noAuth.stderr).to.match(/^smoke: could not authenticate to AWS \(.+\): set credentials \(aws configure/m);
    });
  });
});
