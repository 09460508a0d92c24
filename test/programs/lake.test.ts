import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { StackConfigError, readLakeConfig, type ConfigSource } from "../../programs/config";
import { buildLake } from "../../programs/lake";
import { readStackFile, stackFilePath } from "../../programs/preview/stack";
import {
  plain,
  registered,
  resetRegistered,
  settle,
  useMocks,
  valueOf,
  type RegisteredResource,
} from "../support/pulumiMocks";

const DEV = readStackFile(stackFilePath("dev")).values;
const TOKEN = "eyJhbGciOiJIUzI1NiJ9.program-test-token";
const archive = () => new pulumi.asset.AssetArchive({ "index.js": new pulumi.asset.StringAsset("exports.handler=1") });
/** Code stand-ins, so these tests check the wiring without bundling (the component tests bundle for real). */
const PREBUILT = {
  batchImage: { context: "/prebuilt", dockerfile: "/prebuilt/Dockerfile" },
  apiIngestor: { code: archive(), layerCode: archive() },
};

/** A config source over a plain map; `secrets` lists the keys stored as secrets. */
function source(values: Record<string, string | undefined>, secrets = ["cinelake:tmdbToken"]): ConfigSource {
  return { get: (key) => values[key], isSecret: (key) => secrets.includes(key) };
}

/** A complete, valid configuration for a student. */
function configFor(student: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...DEV,
    "cinelake:student": student,
    "cinelake:tmdbToken": TOKEN,
    "cinelake:quicksightPrincipalArn": `arn:aws:quicksight:us-east-1:123456789012:user/default/${student}`,
    "cinelake:quicksightCheckSubscription": "false",
    ...extra,
  };
}

/** What identifies a resource physically in the account (names scoped to a parent carry that parent). */
function physicalIds(resource: RegisteredResource): string[] {
  const inputs = plain(resource.inputs) as Record<string, unknown>;
  const str = (value: unknown) => (typeof value === "string" ? value : undefined);
  switch (resource.type) {
    case "aws:iam/rolePolicy:RolePolicy":
      return [`${str(inputs.role)}/${str(inputs.name)}`];
    case "aws:glue/catalogTable:CatalogTable":
      return [`${str(inputs.databaseName)}.${str(inputs.name)}`];
    case "aws:s3/bucketObjectv2:BucketObjectv2":
    case "aws:s3/bucketObject:BucketObject":
      return [`s3://${str(inputs.bucket)}/${str(inputs.key)}`];
  }
  const keys = ["name", "namePrefix", "bucket", "layerName", "dashboardId", "analysisId", "dataSetId", "dataSourceId"];
  // Settings that target another resource by name are references, not names of their own.
  const isSetting = /^aws:s3\/bucket(?!:Bucket$)|Attachment|Permission|EventTarget|LifecyclePolicy|SecretVersion/.test(
    resource.type,
  );
  if (isSetting) return [];
  return keys.map((key) => str(inputs[key])).filter((value): value is string => value !== undefined);
}

/** Every IAM/resource policy document among a resource's inputs. */
function policies(resource: RegisteredResource): { Statement: { Resource?: string | string[] }[] }[] {
  const found: { Statement: { Resource?: string | string[] }[] }[] = [];
  for (const value of Object.values(plain(resource.inputs) as Record<string, unknown>)) {
    if (typeof value !== "string" || !value.includes('"Statement"')) continue;
    found.push(JSON.parse(value));
  }
  return found;
}

async function buildStack(stack: string, extra: Record<string, string> = {}) {
  await useMocks({ stack });
  resetRegistered();
  const config = readLakeConfig(source(configFor(stack, extra)), stack);
  const lake = buildLake(config, {}, PREBUILT);
  const outputs = {
    bucket: await valueOf(lake.outputs.bucket),
    dockerRunCommand: await valueOf(lake.outputs.dockerRunCommand),
    lambdaName: await valueOf(lake.outputs.lambdaName),
    batchIngestorRoleArn: await valueOf(lake.outputs.batchIngestorRoleArn),
    glueJobNames: await valueOf(lake.outputs.glueJobNames),
    athenaWorkgroup: await valueOf(lake.outputs.athenaWorkgroup),
    dashboardId: await valueOf(lake.outputs.dashboardId),
  };
  await settle();
  return { config, lake, outputs, resources: [...registered] };
}

describe("the stack program", () => {
  describe("configuration", () => {
    it("accepts Pulumi.dev.yaml plus a secret token, typed", () => {
      const config = readLakeConfig(source({ ...DEV, "cinelake:tmdbToken": TOKEN }), "dev");
      expect(config.student).to.equal("dev");
      expect(config.region).to.equal("us-east-1");
      expect(config.selection).to.deep.equal({ kind: "all", minVotes: 1000, limit: 2000 });
      expect(config.apiSchedule).to.equal("rate(1 hour)");
      expect(config.glue).to.deep.equal({ workerType: "G.1X", numberOfWorkers: 2, timeoutMinutes: 60 });
      expect(config.pipelineSchedule).to.equal("cron(0 6 * * ? *)");
      expect(config.forceDestroy).to.equal(true);
      expect(pulumi.Output.isInstance(config.tmdbToken)).to.equal(true);
    });

    it("keeps the token secret", async () => {
      await useMocks({ stack: "dev" });
      const config = readLakeConfig(source({ ...DEV, "cinelake:tmdbToken": TOKEN }), "dev");
      expect(await pulumi.isSecret(config.tmdbToken)).to.equal(true);
    });

    it("defaults the student to the stack name and the optional settings to their documented values", () => {
      const config = readLakeConfig(
        source({
          "aws:region": "eu-west-1",
          "aws-native:region": "eu-west-1",
          "cinelake:tmdbToken": TOKEN,
          "cinelake:dashboard": "false",
        }),
        "team-3",
      );
      expect(config).to.deep.include({
        student: "team-3",
        region: "eu-west-1",
        apiSchedule: "rate(1 hour)",
        apiMemoryMb: 1024,
        apiTimeoutSeconds: 900,
        forceDestroy: false,
        selection: {},
      });
      expect(config.quicksightPrincipalArn).to.equal(undefined);
    });

    const bad: [string, Record<string, string | undefined>, RegExp][] = [
      [
        "a missing token",
        { "cinelake:tmdbToken": undefined },
        /cinelake:tmdbToken: is not set\. Fix: pulumi config set --secret cinelake:tmdbToken/,
      ],
      [
        "a plain-text token",
        { "cinelake:plain": "1" },
        /cinelake:tmdbToken: is stored in plain text.*Fix: pulumi config set --secret cinelake:tmdbToken/,
      ],
      [
        "a missing region",
        { "aws:region": undefined },
        /aws:region: is not set\. Fix: pulumi config set aws:region us-east-1/,
      ],
      ["a bad region", { "aws:region": "US East" }, /aws:region: "US East" is not an AWS region name/],
      [
        "no aws-native region (the QuickSight provider's own key)",
        { "aws-native:region": undefined },
        /aws-native:region: is not set \(the aws-native provider needs it\)\. Fix: pulumi config set aws-native:region us-east-1/,
      ],
      [
        "an aws-native region other than aws:region",
        { "aws-native:region": "eu-west-1" },
        /aws-native:region: is "eu-west-1" but aws:region is "us-east-1"\. Fix: pulumi config set aws-native:region us-east-1/,
      ],
      [
        "a bad student",
        { "cinelake:student": "Alice Smith" },
        /cinelake:student: "Alice Smith" has characters.*Fix: pulumi config set cinelake:student alice/,
      ],
      [
        "a non-numeric limit",
        { "cinelake:selectionLimit": "lots" },
        /cinelake:selectionLimit: "lots" is not a whole number\. Fix: pulumi config set cinelake:selectionLimit 2000/,
      ],
      ["a zero limit", { "cinelake:selectionLimit": "0" }, /cinelake:selectionLimit: 0 is not a whole number from 1/],
      [
        "an unknown kind",
        { "cinelake:selectionKind": "films" },
        /cinelake:selectionKind: "films" is not movies, series or all/,
      ],
      [
        "an inverted year range",
        { "cinelake:selectionYearFrom": "2020", "cinelake:selectionYearTo": "1990" },
        /cinelake:selectionYearFrom: 2020 is after yearTo 1990/,
      ],
      [
        "a bad schedule",
        { "cinelake:apiSchedule": "hourly" },
        /cinelake:apiSchedule: "hourly" is not an EventBridge schedule.*Fix: pulumi config set cinelake:apiSchedule/,
      ],
      [
        "overlapping runs",
        { "cinelake:apiSchedule": "rate(5 minutes)" },
        /cinelake:apiSchedule: "rate\(5 minutes\)" runs every 300 s, within the 900 s timeout/,
      ],
      [
        "a zero reservation",
        { "cinelake:apiReservedConcurrency": "0" },
        /cinelake:apiReservedConcurrency: 0 is not from 1 to 1000 or off.*Fix: pulumi config set cinelake:apiReservedConcurrency/,
      ],
      ["too much memory", { "cinelake:apiMemoryMb": "20000" }, /cinelake:apiMemoryMb: 20000 is not from 128 to 10240/],
      [
        "a long timeout",
        { "cinelake:apiTimeoutSeconds": "3600" },
        /cinelake:apiTimeoutSeconds: 3600 is not from 1 to 900/,
      ],
      [
        "an unknown worker type",
        { "cinelake:glueWorkerType": "G.3X" },
        /cinelake:glueWorkerType: "G\.3X" is not one of G\.1X/,
      ],
      ["one Glue worker", { "cinelake:glueWorkers": "1" }, /cinelake:glueWorkers: 1 is not from 2 to 299/],
      [
        "a five-field cron",
        { "cinelake:pipelineSchedule": "cron(0 6 * * *)" },
        /cinelake:pipelineSchedule: .* has 5 fields instead of 6/,
      ],
      [
        "a missing QuickSight principal",
        { "cinelake:quicksightPrincipalArn": undefined },
        /cinelake:quicksightPrincipalArn: is not set.*or set cinelake:dashboard false/,
      ],
      [
        "a bad QuickSight principal",
        { "cinelake:quicksightPrincipalArn": "alice" },
        /cinelake:quicksightPrincipalArn: "alice" is not a QuickSight user or group ARN/,
      ],
      [
        "a bad boolean",
        { "cinelake:forceDestroy": "yes" },
        /cinelake:forceDestroy: "yes" is not true or false\. Fix: pulumi config set cinelake:forceDestroy true/,
      ],
      [
        "a dotted bucket suffix",
        { "cinelake:bucketSuffix": "a.b" },
        /cinelake:bucketSuffix: the bucket name "cinelake-dev-a\.b-lake" contains a dot/,
      ],
      ["a bad KMS key", { "cinelake:kmsKeyArn": "my-key" }, /cinelake:kmsKeyArn: "my-key" is not a KMS key ARN/],
      [
        "two batch principals",
        { "cinelake:batchIngestorRole": "r", "cinelake:batchIngestorUser": "u" },
        /cinelake:batchIngestorRole: and cinelake:batchIngestorUser are both set/,
      ],
    ];
    for (const [what, change, message] of bad)
      it(`refuses ${what}, naming the key and the fix`, () => {
        const values = { ...DEV, "cinelake:tmdbToken": TOKEN, ...change };
        const secrets = "cinelake:plain" in change ? [] : ["cinelake:tmdbToken"];
        expect(() => readLakeConfig(source(values, secrets), "dev")).to.throw(StackConfigError, message);
      });

    it("reports every problem at once", () => {
      try {
        readLakeConfig(source({ "cinelake:selectionLimit": "x", "cinelake:glueWorkers": "1" }), "dev");
        expect.fail("accepted");
      } catch (error) {
        const keys = (error as StackConfigError).problems.map((problem) => problem.setting);
        expect(keys).to.have.members([
          "aws:region",
          "aws-native:region",
          "cinelake:tmdbToken",
          "cinelake:selectionLimit",
          "cinelake:glueWorkers",
          "cinelake:quicksightPrincipalArn",
        ]);
        expect((error as Error).message).to.match(/^the stack's configuration has 6 problems:\n {2}- /);
      }
    });

    it("fails before any resource is registered", async () => {
      await useMocks({ stack: "dev" });
      resetRegistered();
      expect(() => buildLake(readLakeConfig(source({ ...DEV }), "dev"))).to.throw(StackConfigError);
      await settle(3);
      expect(registered).to.deep.equal([]);
    });
  });

  describe("one stack", () => {
    let built: Awaited<ReturnType<typeof buildStack>>;
    before(async () => {
      built = await buildStack("dev");
    });

    it("composes the six components", () => {
      const components = built.resources.filter((r) => r.type.startsWith("cinelake:")).map((r) => r.type);
      expect(new Set(components)).to.include.members([
        "cinelake:index:DataLakeBucket",
        "cinelake:index:BatchIngestor",
        "cinelake:index:ApiIngestor",
        "cinelake:index:StarSchema",
        "cinelake:index:Dashboard",
      ]);
      expect(components.filter((type) => type === "cinelake:index:SparkJob")).to.have.length(3);
    });

    it("exports the bucket, the docker run line, the Lambda, the Glue jobs, the workgroup and the dashboard", () => {
      const { outputs } = built;
      expect(outputs.bucket).to.equal("cinelake-dev-lake");
      expect(outputs.dockerRunCommand).to.match(
        /^docker run .*-e LAKE_BUCKET=cinelake-dev-lake .*cinelake-dev-batch-ingestor@sha256:/,
      );
      expect(outputs.lambdaName).to.equal("cinelake-dev-api-ingestor");
      expect(outputs.batchIngestorRoleArn).to.match(/^arn:aws:iam::\d{12}:role\/cinelake-dev-batch-ingestor/);
      expect(Object.keys(outputs.glueJobNames)).to.have.members(["trusted-csv", "trusted-tmdb", "refined"]);
      for (const name of Object.values(outputs.glueJobNames)) expect(name).to.include("dev");
      expect(outputs.athenaWorkgroup).to.include("dev");
      expect(outputs.dashboardId).to.include("dev");
    });

    it("passes the config through: selection, schedule, sizing", () => {
      const fn = built.resources.find((r) => r.type === "aws:lambda/function:Function")!;
      const variables = (plain(fn.inputs.environment) as { variables: Record<string, string> }).variables;
      expect(variables).to.include({ SELECTION_KIND: "all", SELECTION_MIN_VOTES: "1000", SELECTION_LIMIT: "2000" });
      const rule = built.resources.find((r) => r.type === "aws:cloudwatch/eventRule:EventRule")!;
      expect(rule.inputs.scheduleExpression).to.equal("rate(1 hour)");
      expect(fn.inputs.reservedConcurrentExecutions).to.equal(1);
      const jobs = built.resources.filter((r) => r.type === "aws:glue/job:Job");
      expect(jobs).to.have.length(3);
      for (const job of jobs) expect(job.inputs).to.include({ workerType: "G.1X", numberOfWorkers: 2, timeout: 60 });
      const bucket = built.resources.find((r) => r.type === "aws:s3/bucket:Bucket")!;
      expect(bucket.inputs.forceDestroy).to.equal(true);
    });
    // Deploy finding 13: with explicit physical names, Pulumi's default create-before-delete replacement fails on the
    // name the old resource still holds. The engine receives deleteBeforeReplace for every resource of the stack.
    it("replaces every resource by deleting it first, since their names are fixed", () => {
      const custom = built.resources.filter((r) => r.custom);
      expect(custom.filter((r) => physicalIds(r).length > 0).length).to.be.greaterThan(20);
      const createFirst = custom.filter((r) => !r.deleteBeforeReplace).map((r) => `${r.type} ${r.name}`);
      expect(createFirst).to.deep.equal([]);
    });
  });

  describe("two stacks in one account", () => {
    let alice: Awaited<ReturnType<typeof buildStack>>;
    let bob: Awaited<ReturnType<typeof buildStack>>;
    before(async () => {
      alice = await buildStack("alice");
      bob = await buildStack("bob");
    });

    it("share no physical name", () => {
      const names = (resources: RegisteredResource[]) => resources.flatMap(physicalIds);
      const aliceNames = names(alice.resources);
      const bobNames = new Set(names(bob.resources));
      expect(aliceNames.length).to.be.greaterThan(20);
      expect(aliceNames.filter((name) => bobNames.has(name))).to.deep.equal([]);
      // And every name actually carries its student.
      for (const name of aliceNames) expect(name, name).to.match(/alice/);
    });

    it("grant nothing on the other stack's bucket or resources", () => {
      let checked = 0;
      for (const [mine, theirs] of [
        [alice, "bob"],
        [bob, "alice"],
      ] as const) {
        const own = mine === alice ? "alice" : "bob";
        for (const resource of mine.resources)
          for (const document of policies(resource))
            for (const statement of document.Statement) {
              for (const arn of ([] as string[]).concat(statement.Resource ?? [])) {
                checked += 1;
                expect(arn, `${resource.type} ${resource.name}`).not.to.include(theirs);
                if (arn.startsWith("arn:aws:s3:::"))
                  expect(arn).to.match(new RegExp(`^arn:aws:s3:::cinelake-${own}-lake(/|$)`));
                expect(arn, `${resource.type} grants a bucket wildcard`).not.to.match(/^arn:aws:s3:::\*/);
              }
            }
      }
      expect(checked).to.be.greaterThan(20);
    });
  });

  describe("the Pulumi program (programs/index.ts)", () => {
    it("reads the stack's Pulumi config and exports the stack outputs", async () => {
      const config = configFor("carol");
      await useMocks({ stack: "carol", config, secretKeys: ["cinelake:tmdbToken"] });
      resetRegistered();
      const program = (await import("../../programs/index")) as Record<string, pulumi.Output<unknown>>;
      expect(Object.keys(program)).to.include.members([
        "bucket",
        "dockerRunCommand",
        "lambdaName",
        "glueJobNames",
        "athenaWorkgroup",
        "dashboardId",
      ]);
      expect(await valueOf(program.bucket!)).to.equal("cinelake-carol-lake");
      expect(await valueOf(program.lambdaName!)).to.equal("cinelake-carol-api-ingestor");
      expect(await valueOf(program.dockerRunCommand!)).to.include("LAKE_BUCKET=cinelake-carol-lake");
      await settle();
      const version = registered.find((r) => r.type === "aws:secretsmanager/secretVersion:SecretVersion")!;
      expect(plain(version.inputs.secretString)).to.equal(TOKEN);
    });
  });
});
