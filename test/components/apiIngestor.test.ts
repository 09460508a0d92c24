import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import {
  ApiIngestor,
  LambdaArchitecture,
  TitleKind,
  selectionEnvironment,
  type ApiIngestorArgs,
} from "../../components/apiIngestor";
import { DataLakeBucket } from "../../components/dataLakeBucket";
import { scheduleIntervalSeconds } from "../../components/schedule";
import { ConfigError } from "../../components/naming";
import { API_INGESTOR_ENV } from "../../runtime/api-ingestor/env";
import {
  expectAliasedFrom,
  expectNoDefaultPrefix,
  expectStackTags,
  isSecret,
  oneOfType,
  ofType,
  parsePolicy,
  plain,
  registered,
  resetRegistered,
  settle,
  useMocks,
  valueOf,
} from "../support/pulumiMocks";

const TOKEN = "eyJhbGciOiJIUzI1NiJ9.test-token-value";
const fakeCode = () => new pulumi.asset.AssetArchive({ "index.js": new pulumi.asset.StringAsset("exports.handler=1") });

/** Builds a lake and an ingestor with injected code (no esbuild), returning both. */
function build(stack: string, overrides: Partial<ApiIngestorArgs> = {}) {
  const lake = new DataLakeBucket(`${stack}-lake`, { stackName: stack });
  const ingestor = new ApiIngestor(`${stack}-api`, {
    stackName: stack,
    bucket: lake,
    tmdbToken: pulumi.secret(TOKEN),
    code: fakeCode(),
    layerCode: fakeCode(),
    ...overrides,
  });
  return { lake, ingestor };
}

type Statement = {
  Sid?: string;
  Effect: string;
  Action: string[] | string;
  Resource: string[] | string;
  Condition?: unknown;
};

describe("ApiIngestor", () => {
  before(() => useMocks({ stack: "alice" }));
  beforeEach(resetRegistered);

  it("runs the handler on nodejs24.x with its layer, sizing and the lake's environment", async () => {
    const { ingestor } = build("alice", {
      memoryMb: 2048,
      timeoutSeconds: 600,
      selection: { kind: TitleKind.Movies, limit: 300 },
    });
    await settle();
    const fn = oneOfType("aws:lambda/function:Function").inputs;
    expect(fn).to.include({ name: "cinelake-alice-api-ingestor", runtime: "nodejs24.x", handler: "index.handler" });
    expect(fn).to.include({ memorySize: 2048, timeout: 600 });
    const layer = oneOfType("aws:lambda/layerVersion:LayerVersion").inputs;
    expect(layer.compatibleRuntimes).to.deep.equal(["nodejs24.x"]);
    expect(fn.layers).to.deep.equal([`arn:aws:lambda:us-east-1:123456789012:layer:${layer.layerName}:1`]);
    const variables = (plain(fn.environment) as { variables: Record<string, string> }).variables;
    expect(variables[API_INGESTOR_ENV.bucket]).to.equal("cinelake-alice-lake");
    expect(variables[API_INGESTOR_ENV.secretId]).to.match(/^arn:aws:secretsmanager:.*:secret:/);
    expect(variables[API_INGESTOR_ENV.kind]).to.equal("movies");
    expect(variables[API_INGESTOR_ENV.limit]).to.equal("300");
    expect(Object.values(variables).join(" ")).not.to.include(TOKEN);
    expect(await valueOf(ingestor.functionName)).to.equal("cinelake-alice-api-ingestor");
    expect(ofType("cinelake:index:ApiIngestor")).to.have.length(1);
  });

  it("keeps the token a secret: the secret version's input and output are secret, and the token is nowhere in plain", async () => {
    build("alice");
    await settle();
    const version = oneOfType("aws:secretsmanager/secretVersion:SecretVersion");
    expect(isSecret(version.inputs.secretString), "secretString passed as a secret").to.equal(true);
    expect(plain(version.inputs.secretString)).to.equal(TOKEN);
    // Outside the secret version, the token appears in no input of any resource, not even inside other secrets.
    for (const resource of registered.filter((r) => r !== version))
      expect(JSON.stringify(plain(resource.inputs)), resource.type).not.to.include(TOKEN);
    const secret = oneOfType("aws:secretsmanager/secret:Secret").inputs;
    expect(secret.namePrefix).to.equal("cinelake-alice-tmdb-token-");
  });

  // Deploy finding 12: a destroyed student stack used to leave its secret (and its cost) for Secrets Manager's 30 days.
  it("deletes the token's secret at once on destroy with forceDestroy, after 7 days without", async () => {
    build("alice", { forceDestroy: true });
    await settle();
    expect(oneOfType("aws:secretsmanager/secret:Secret").inputs.recoveryWindowInDays).to.equal(0);
    resetRegistered();
    build("bob");
    await settle();
    expect(oneOfType("aws:secretsmanager/secret:Secret").inputs.recoveryWindowInDays).to.equal(7);
  });

  it("makes the secret version's value a secret output even when handed a non-secret output", async () => {
    const lake = new DataLakeBucket("secret-lake", { stackName: "alice" });
    const token = pulumi.output(TOKEN);
    let seen: pulumi.Output<string> | undefined;
    new ApiIngestor(
      "secret-api",
      { stackName: "alice", bucket: lake, tmdbToken: token, code: fakeCode(), layerCode: fakeCode() },
      {
        transformations: [
          (args) => {
            if (args.type === "aws:secretsmanager/secretVersion:SecretVersion")
              seen = pulumi.output((args.props as { secretString: pulumi.Input<string> }).secretString);
            return undefined;
          },
        ],
      },
    );
    await settle();
    expect(await pulumi.isSecret(token)).to.equal(false);
    expect(seen, "secret version registered").not.to.equal(undefined);
    expect(await pulumi.isSecret(seen!)).to.equal(true);
  });

  it("refuses a plain token", () => {
    const lake = new DataLakeBucket("plain-lake", { stackName: "alice" });
    expect(
      () =>
        new ApiIngestor("plain", {
          stackName: "alice",
          bucket: lake,
          tmdbToken: TOKEN as unknown as pulumi.Output<string>,
        }),
    ).to.throw(ConfigError, /^tmdbToken: is a plain value.*pulumi config set --secret cinelake:tmdbToken/);
  });

  it("scopes the role to the exact prefixes, its log group, its secret and its queue", async () => {
    const { ingestor } = build("alice");
    await settle();
    const inline = oneOfType("aws:iam/rolePolicy:RolePolicy").inputs;
    const policy = parsePolicy(inline.policy);
    expect(JSON.parse(await valueOf(ingestor.policyJson))).to.deep.equal(policy);
    const statements = policy.Statement as Statement[];
    const bySid = Object.fromEntries(statements.map((s) => [s.Sid, s]));
    const bucket = "arn:aws:s3:::cinelake-alice-lake";
    expect(bySid.ReadPrefixes!.Resource).to.have.members([
      `${bucket}/Raw/Local/CSV/Movies/*`,
      `${bucket}/Raw/Local/CSV/Series/*`,
      `${bucket}/Raw/TMDB/JSON/Movies/*`,
      `${bucket}/Raw/TMDB/JSON/Series/*`,
      `${bucket}/_system/checkpoints/api-ingestor/*`,
    ]);
    expect(bySid.WritePrefixes!.Resource).to.have.members([
      `${bucket}/Raw/TMDB/JSON/Movies/*`,
      `${bucket}/Raw/TMDB/JSON/Series/*`,
      `${bucket}/_system/checkpoints/api-ingestor/*`,
    ]);
    // It deletes one object only: its lease, by exact key (never the checkpoint, the CSVs or a Raw file).
    expect(bySid.DeletePrefixes, "no prefix-wide delete").to.equal(undefined);
    expect(bySid.ReleaseOwnLease).to.deep.equal({
      Sid: "ReleaseOwnLease",
      Effect: "Allow",
      Action: ["s3:DeleteObject"],
      Resource: [`${bucket}/_system/checkpoints/api-ingestor/lease.json`],
    });
    const deleting = statements.filter((s) => ([] as string[]).concat(s.Action).some((a) => /Delete/.test(a)));
    expect(deleting.map((s) => s.Sid)).to.deep.equal(["ReleaseOwnLease"]);
    // Unconditioned, so reading the not-yet-written checkpoint gets S3's 404, not 403 (deploy finding 3).
    expect(bySid.ListBucket).to.deep.equal({
      Sid: "ListBucket",
      Effect: "Allow",
      Action: ["s3:ListBucket"],
      Resource: [bucket],
    });
    expect(bySid.WriteOwnLogs!.Resource).to.deep.equal([
      "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/cinelake-alice-api-ingestor:*",
    ]);
    expect(bySid.ReadOwnSecret!.Action).to.deep.equal(["secretsmanager:GetSecretValue"]);
    expect(bySid.ReadOwnSecret!.Resource).to.deep.equal([await valueOf(ingestor.secretArn)]);
    expect(bySid.SendToQueue!.Resource).to.deep.equal([
      "arn:aws:sqs:us-east-1:123456789012:cinelake-alice-api-ingestor-failures",
    ]);
    // Nothing can write the CSVs, Trusted or Refined, nor anything outside this bucket.
    for (const statement of statements) {
      const resources = ([] as string[]).concat(statement.Resource);
      for (const resource of resources) {
        expect(resource, statement.Sid).not.to.include("*:*:*");
        expect(resource).not.to.equal("*");
        if (resource.startsWith("arn:aws:s3")) expect(resource.startsWith(bucket), resource).to.equal(true);
      }
      if (statement.Sid === "WritePrefixes" || statement.Sid === "DeletePrefixes")
        for (const resource of resources) expect(resource).not.to.match(/Local\/CSV|Trusted|Refined/);
    }
    const role = oneOfType("aws:iam/role:Role").inputs;
    expect(JSON.parse(String(role.assumeRolePolicy)).Statement[0].Principal).to.deep.equal({
      Service: "lambda.amazonaws.com",
    });
    expect(inline.role).to.equal("cinelake-alice-api-ingestor");
  });

  it("schedules slices with EventBridge and sends failures to an encrypted queue", async () => {
    build("alice", { schedule: "cron(0 3 * * ? *)" });
    await settle();
    const rule = oneOfType("aws:cloudwatch/eventRule:EventRule").inputs;
    expect(rule).to.include({ name: "cinelake-alice-api-ingestor-schedule", scheduleExpression: "cron(0 3 * * ? *)" });
    const target = oneOfType("aws:cloudwatch/eventTarget:EventTarget").inputs;
    expect(target.arn).to.equal("arn:aws:lambda:us-east-1:123456789012:function:cinelake-alice-api-ingestor");
    expect(target.rule).to.equal("cinelake-alice-api-ingestor-schedule");
    const permission = oneOfType("aws:lambda/permission:Permission").inputs;
    expect(permission).to.include({ action: "lambda:InvokeFunction", principal: "events.amazonaws.com" });
    expect(permission.sourceArn).to.equal(
      "arn:aws:events:us-east-1:123456789012:rule/cinelake-alice-api-ingestor-schedule",
    );
    const invokeConfig = oneOfType("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig").inputs;
    expect(invokeConfig.destinationConfig).to.deep.equal({
      onFailure: { destination: "arn:aws:sqs:us-east-1:123456789012:cinelake-alice-api-ingestor-failures" },
    });
    expect(oneOfType("aws:sqs/queue:Queue").inputs.sqsManagedSseEnabled).to.equal(true);
    expect(oneOfType("aws:cloudwatch/logGroup:LogGroup").inputs.retentionInDays).to.equal(14);
  });

  it("runs one slice at a time unless told otherwise, and refuses a nonsensical reservation", async () => {
    build("alice");
    await settle();
    expect(oneOfType("aws:lambda/function:Function").inputs.reservedConcurrentExecutions).to.equal(1);
    resetRegistered();
    build("alice", { reservedConcurrencyEnabled: false });
    await settle();
    expect(oneOfType("aws:lambda/function:Function").inputs.reservedConcurrentExecutions).to.equal(-1);
    expect(() => build("alice", { reservedConcurrency: 0 })).to.throw(/reservedConcurrency/);
  });

  it("creates no schedule when told not to", async () => {
    const { ingestor } = build("alice", { scheduleEnabled: false });
    await settle();
    expect(ofType("aws:cloudwatch/eventRule:EventRule")).to.have.length(0);
    expect(ofType("aws:lambda/permission:Permission")).to.have.length(0);
    expect(await valueOf(ingestor.scheduleRuleName)).to.equal(undefined);
  });

  it("grants KMS use when the bucket has a key", async () => {
    const key = "arn:aws:kms:us-east-1:123456789012:key/abcd";
    const lake = new DataLakeBucket("kms-lake", { stackName: "alice", kmsKeyArn: key });
    new ApiIngestor("kms-api", {
      stackName: "alice",
      bucket: lake,
      tmdbToken: pulumi.secret(TOKEN),
      code: fakeCode(),
      layerCode: fakeCode(),
    });
    await settle();
    const statements = parsePolicy(oneOfType("aws:iam/rolePolicy:RolePolicy").inputs.policy).Statement as Statement[];
    expect(statements.find((s) => s.Sid === "UseLakeKey")).to.deep.include({
      Action: ["kms:Decrypt", "kms:GenerateDataKey"],
      Resource: [key],
    });
  });

  describe("refusing bad arguments before AWS is called", () => {
    const bad: [string, Partial<ApiIngestorArgs>, RegExp][] = [
      ["too little memory", { memoryMb: 64 }, /^memoryMb: 64 is not a whole number from 128 to 10240/],
      ["a timeout over 15 minutes", { timeoutSeconds: 901 }, /^timeoutSeconds: 901/],
      ["a malformed schedule", { schedule: "every hour" }, /^schedule: "every hour" is not an EventBridge schedule/],
      ["a plural for one", { schedule: "rate(1 hours)" }, /^schedule: "rate\(1 hours\)" must use "hour"/],
      ["a singular for many", { schedule: "rate(5 minute)" }, /must use "minutes"/],
      ["a zero rate", { schedule: "rate(0 minutes)" }, /zero interval/],
      [
        "overlapping runs",
        { schedule: "rate(10 minutes)" },
        /^schedule: .* within the 900 s timeout, so runs would overlap/,
      ],
      ["an unknown kind", { selection: { kind: "films" as never } }, /^selection\.kind: "films"/],
      ["a bad genre", { selection: { genres: ["Drama,Comedy"] } }, /^selection\.genres: "Drama,Comedy"/],
      [
        "an inverted year range",
        { selection: { yearFrom: 2020, yearTo: 1990 } },
        /^selection\.yearFrom: 2020 is after yearTo 1990/,
      ],
      ["a zero limit", { selection: { limit: 0 } }, /^selection\.limit: 0/],
      ["a bad base URL", { tmdbBaseUrl: "api.themoviedb.org" }, /^tmdbBaseUrl:/],
      ["a bad stack name", { stackName: "Bob" }, /^stackName:/],
      ["a zero rate limit", { maxRps: 0 }, /^maxRps:/],
      ["a bad name prefix", { namePrefix: "cine-lake" }, /^namePrefix: "cine-lake" is not a name prefix/],
      ["an unknown architecture", { architecture: "riscv" as never }, /^architecture: "riscv" is not arm64 or x86_64/],
      ["a handler without its layer", { layerCode: undefined }, /^code: and layerCode must be given together/],
      ["a schedule beside scheduleEnabled false", { scheduleEnabled: false, schedule: "rate(2 hours)" }, /^schedule:/],
      [
        "a reservation beside reservedConcurrencyEnabled false",
        { reservedConcurrencyEnabled: false, reservedConcurrency: 1 },
        /^reservedConcurrency:/,
      ],
    ];
    for (const [what, overrides, message] of bad)
      it(`refuses ${what}`, async () => {
        const lake = new DataLakeBucket(`bad-lake-${what.replace(/\W/g, "")}`, { stackName: "alice" });
        await settle(3);
        resetRegistered();
        expect(
          () =>
            new ApiIngestor(`bad-${what.replace(/\W/g, "")}`, {
              stackName: "alice",
              bucket: lake,
              tmdbToken: pulumi.secret(TOKEN),
              code: fakeCode(),
              layerCode: fakeCode(),
              ...overrides,
            }),
        ).to.throw(ConfigError, message);
        await settle(3);
        expect(registered.filter((r) => !r.type.startsWith("cinelake:"))).to.deep.equal([]);
        // Checked before super(): not even the component is registered.
        expect(registered).to.deep.equal([]);
      });
  });

  it("is cinelake:index:ApiIngestor, aliased from cinelake:ingest:ApiIngestor", async () => {
    build("alice");
    await settle();
    expectAliasedFrom("cinelake:index:ApiIngestor", "cinelake:ingest:ApiIngestor");
    expectStackTags("aws:lambda/function:Function", "alice");
  });

  it("names everything after its name prefix, so a second lake's ingestor collides with nothing", async () => {
    const lake = new DataLakeBucket("books-lake", { stackName: "alice", namePrefix: "books" });
    const ingestor = new ApiIngestor("books-api", {
      stackName: "alice",
      namePrefix: "books",
      bucket: lake,
      tmdbToken: pulumi.secret(TOKEN),
      code: fakeCode(),
      layerCode: fakeCode(),
    });
    await settle();
    expect(oneOfType("aws:lambda/function:Function").inputs.name).to.equal("books-alice-api-ingestor");
    expect(oneOfType("aws:iam/role:Role").inputs.name).to.equal("books-alice-api-ingestor");
    expect(oneOfType("aws:lambda/layerVersion:LayerVersion").inputs.layerName).to.equal(
      "books-alice-api-ingestor-libs",
    );
    expect(oneOfType("aws:sqs/queue:Queue").inputs.name).to.equal("books-alice-api-ingestor-failures");
    expect(oneOfType("aws:cloudwatch/eventRule:EventRule").inputs.name).to.equal("books-alice-api-ingestor-schedule");
    expect(oneOfType("aws:cloudwatch/logGroup:LogGroup").inputs.name).to.equal("/aws/lambda/books-alice-api-ingestor");
    expect(oneOfType("aws:secretsmanager/secret:Secret").inputs.namePrefix).to.equal("books-alice-tmdb-token-");
    expect(await valueOf(ingestor.logGroupName)).to.equal("/aws/lambda/books-alice-api-ingestor");
    expect(await valueOf(ingestor.roleName)).to.equal("books-alice-api-ingestor");
    expect(await valueOf(ingestor.deadLetterQueueArn)).to.match(/:books-alice-api-ingestor-failures$/);
    expectNoDefaultPrefix();
  });

  it("turns the schedule and the reservation off with explicit switches, refusing a value beside a switch that is off", async () => {
    build("alice", { scheduleEnabled: true, reservedConcurrencyEnabled: true, reservedConcurrency: 2 });
    await settle();
    expect(oneOfType("aws:cloudwatch/eventRule:EventRule").inputs.scheduleExpression).to.equal("rate(1 hour)");
    expect(oneOfType("aws:lambda/function:Function").inputs.reservedConcurrentExecutions).to.equal(2);
    expect(() => build("alice", { scheduleEnabled: false, schedule: "rate(2 hours)" })).to.throw(
      ConfigError,
      /^schedule: is set while scheduleEnabled is false\. Fix: set only one of them/,
    );
    expect(() => build("alice", { reservedConcurrencyEnabled: false, reservedConcurrency: 1 })).to.throw(
      ConfigError,
      /^reservedConcurrency: is set while reservedConcurrencyEnabled is false/,
    );
  });

  it("takes the Lambda architecture as an enum", async () => {
    build("alice", { architecture: LambdaArchitecture.X86_64 });
    await settle();
    expect(oneOfType("aws:lambda/function:Function").inputs.architectures).to.deep.equal(["x86_64"]);
    expect(oneOfType("aws:lambda/layerVersion:LayerVersion").inputs.compatibleArchitectures).to.deep.equal(["x86_64"]);
  });

  it("parses schedule intervals and selection environments", () => {
    expect(scheduleIntervalSeconds("rate(1 hour)")).to.equal(3600);
    expect(scheduleIntervalSeconds("rate(30 minutes)")).to.equal(1800);
    expect(scheduleIntervalSeconds("rate(2 days)")).to.equal(172800);
    expect(scheduleIntervalSeconds("cron(0/30 * * * ? *)")).to.equal(undefined);
    // The one cron check of components/schedule.ts: the looser six-token pattern used to accept these.
    expect(() => scheduleIntervalSeconds("cron(0 3 * * * *)")).to.throw(ConfigError, 'needs "?" in exactly one');
    expect(() => scheduleIntervalSeconds("cron(0 25 * * ? *)")).to.throw(ConfigError, "within 0-23 in hours");
    expect(selectionEnvironment({ genres: ["Drama", "Sci-Fi"], yearFrom: 1990, minVotes: 1000 })).to.deep.equal({
      [API_INGESTOR_ENV.genres]: "Drama,Sci-Fi",
      [API_INGESTOR_ENV.yearFrom]: "1990",
      [API_INGESTOR_ENV.minVotes]: "1000",
    });
    expect(selectionEnvironment({})).to.deep.equal({});
  });

  it("bundles the real handler and layer with esbuild when no code is given", async function () {
    if (!existsSync(resolve(__dirname, "../../runtime/api-ingestor/handler.ts"))) this.skip();
    const lake = new DataLakeBucket("real-lake", { stackName: "alice" });
    new ApiIngestor("real-api", { stackName: "alice", bucket: lake, tmdbToken: pulumi.secret(TOKEN) });
    await settle();
    const fn = oneOfType("aws:lambda/function:Function").inputs;
    const code = fn.code as Record<string, unknown>;
    const layer = oneOfType("aws:lambda/layerVersion:LayerVersion").inputs.code as Record<string, unknown>;
    // Recorded archives carry their path as a promise.
    const codeDir = String(await code.path);
    const layerDir = String(await layer.path);
    expect(existsSync(resolve(codeDir, "index.js")), codeDir).to.equal(true);
    expect(existsSync(resolve(layerDir, "nodejs/node_modules/ky/package.json")), layerDir).to.equal(true);
  });
});
