import { expect } from "chai";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { BatchIngestor, BatchSpec, dockerRunCommand, type BatchIngestorArgs } from "../../components/batchIngestor";
import { DataLakeBucket } from "../../components/dataLakeBucket";
import { ConfigError } from "../../components/naming";
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

type Statement = { Sid?: string; Effect: string; Action: string[]; Resource: string[]; Condition?: unknown };

function build(stack: string, overrides: Partial<BatchIngestorArgs> = {}) {
  const lake = new DataLakeBucket(`${stack}-lake-${registered.length}`, { stackName: stack });
  const ingestor = new BatchIngestor(`${stack}-batch-${registered.length}`, {
    stackName: stack,
    bucket: lake,
    // A fixed context: the real one bundles the CLI with esbuild, which one test below checks.
    image: { context: "/ctx", dockerfile: "/ctx/Dockerfile" },
    ...overrides,
  });
  return { lake, ingestor };
}

const bucketArn = "arn:aws:s3:::cinelake-alice-lake";

describe("BatchIngestor", () => {
  before(() => useMocks({ stack: "alice" }));
  beforeEach(resetRegistered);

  it("creates a private scanned ECR repository and builds the image from runtime/batch-ingestor without building in tests", async () => {
    const { ingestor } = build("alice");
    await settle();
    const repo = oneOfType("aws:ecr/repository:Repository").inputs;
    expect(repo).to.deep.include({
      name: "cinelake-alice-batch-ingestor",
      imageScanningConfiguration: { scanOnPush: true },
    });
    expect(repo.forceDelete).to.equal(false);
    // Deploy finding 10: built and pushed with @pulumi/docker, with ECR credentials from aws.ecr.getAuthorizationToken.
    const imageResource = oneOfType("docker:index/image:Image");
    const image = plain(imageResource.inputs) as {
      imageName: string;
      build: Record<string, string>;
      registry: Record<string, string>;
    };
    expect(image.imageName).to.equal(
      "123456789012.dkr.ecr.us-east-1.amazonaws.com/cinelake-alice-batch-ingestor:latest",
    );
    expect(image.build).to.include({ context: "/ctx", dockerfile: "/ctx/Dockerfile", platform: "linux/amd64" });
    expect(image.registry).to.include({
      server: "123456789012.dkr.ecr.us-east-1.amazonaws.com/cinelake-alice-batch-ingestor",
      username: "AWS",
    });
    // The ECR password makes the whole registry setting a secret, so it is encrypted in the state.
    expect(isSecret(imageResource.inputs.registry), "the registry credentials").to.equal(true);
    // The run line names the pushed digest, so it runs exactly this update's image.
    expect(await valueOf(ingestor.imageUri)).to.match(/cinelake-alice-batch-ingestor@sha256:[0-9a-f]{64}$/);
    expect(await valueOf(ingestor.dockerRunCommand)).to.match(/ \S+cinelake-alice-batch-ingestor@sha256:[0-9a-f]{64}$/);
    expect(oneOfType("aws:ecr/lifecyclePolicy:LifecyclePolicy").inputs.repository).to.equal(
      "cinelake-alice-batch-ingestor",
    );
  });

  it("allows exactly the ingestion actions on Raw/Local/CSV/<spec>/ of its own bucket", async () => {
    const { ingestor } = build("alice");
    await settle();
    const policy = parsePolicy(oneOfType("aws:iam/policy:Policy").inputs.policy);
    expect(JSON.parse(await valueOf(ingestor.policyJson))).to.deep.equal(policy);
    const statements = policy.Statement as Statement[];
    expect(statements).to.deep.equal([
      {
        Sid: "ReadPrefixes",
        Effect: "Allow",
        Action: ["s3:GetObject"],
        Resource: [`${bucketArn}/Raw/Local/CSV/Movies/*`, `${bucketArn}/Raw/Local/CSV/Series/*`],
      },
      {
        Sid: "WritePrefixes",
        Effect: "Allow",
        Action: ["s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
        Resource: [`${bucketArn}/Raw/Local/CSV/Movies/*`, `${bucketArn}/Raw/Local/CSV/Series/*`],
      },
      {
        Sid: "DeletePrefixes",
        Effect: "Allow",
        Action: ["s3:DeleteObject"],
        Resource: [`${bucketArn}/Raw/Local/CSV/Movies/*`, `${bucketArn}/Raw/Local/CSV/Series/*`],
      },
      // HeadBucket is authorized as ListBucket: names only.
      { Sid: "ListBucket", Effect: "Allow", Action: ["s3:ListBucket"], Resource: [bucketArn] },
      { Sid: "FindOwnUploads", Effect: "Allow", Action: ["s3:ListBucketMultipartUploads"], Resource: [bucketArn] },
      // The sha256 tag: written after a verified upload, read back for idempotency.
      {
        Sid: "TagObjects",
        Effect: "Allow",
        Action: ["s3:GetObjectTagging", "s3:PutObjectTagging"],
        Resource: [`${bucketArn}/Raw/Local/CSV/Movies/*`, `${bucketArn}/Raw/Local/CSV/Series/*`],
      },
      // Issue 13: a run removes only its own corrupt version (by VersionId), on its own prefixes only.
      {
        Sid: "DeleteOwnVersions",
        Effect: "Allow",
        Action: ["s3:DeleteObjectVersion"],
        Resource: [`${bucketArn}/Raw/Local/CSV/Movies/*`, `${bucketArn}/Raw/Local/CSV/Series/*`],
      },
    ]);
    // No wildcard action, no object outside Raw/Local/CSV, no bucket-level action beyond listing.
    const actions = statements.flatMap((s) => s.Action);
    expect(actions.some((a) => a.includes("*"))).to.equal(false);
    for (const resource of statements.flatMap((s) => s.Resource))
      expect(
        resource === bucketArn ||
          /^arn:aws:s3:::cinelake-alice-lake\/Raw\/Local\/CSV\/(Movies|Series)\/\*$/.test(resource),
        resource,
      ).to.equal(true);
  });

  it("narrows the policy to the given specs", async () => {
    build("alice", { specs: [BatchSpec.Series] });
    await settle();
    const policy = parsePolicy(oneOfType("aws:iam/policy:Policy").inputs.policy);
    expect(JSON.stringify(policy)).not.to.include("Movies");
    for (const statement of policy.Statement as Statement[])
      if (statement.Resource.some((resource) => resource.includes("/")))
        expect(statement.Resource, statement.Sid).to.deep.equal([`${bucketArn}/Raw/Local/CSV/Series/*`]);
  });

  it("by default creates a role assumable by the account (no access keys) and attaches the policy to it", async () => {
    const { ingestor } = build("alice");
    await settle();
    const role = oneOfType("aws:iam/role:Role").inputs;
    expect(role.name).to.equal("cinelake-alice-batch-ingestor");
    expect(JSON.parse(String(role.assumeRolePolicy)).Statement).to.deep.equal([
      { Effect: "Allow", Principal: { AWS: ["arn:aws:iam::123456789012:root"] }, Action: "sts:AssumeRole" },
    ]);
    const attachment = oneOfType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").inputs;
    expect(attachment).to.deep.equal({
      role: "cinelake-alice-batch-ingestor",
      policyArn: "arn:aws:iam::123456789012:policy/cinelake-alice-batch-ingestor",
    });
    expect(ofType("aws:iam/accessKey:AccessKey")).to.have.length(0);
    expect(await valueOf(ingestor.roleArn)).to.equal("arn:aws:iam::123456789012:role/cinelake-alice-batch-ingestor");
  });

  it("attaches the policy to a given user or role instead", async () => {
    build("alice", { attachToUserName: "alice" });
    await settle();
    expect(oneOfType("aws:iam/userPolicyAttachment:UserPolicyAttachment").inputs.user).to.equal("alice");
    expect(ofType("aws:iam/role:Role")).to.have.length(0);
    resetRegistered();
    build("alice", { attachToRoleName: "students" });
    await settle();
    expect(oneOfType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").inputs.role).to.equal("students");
    expect(ofType("aws:iam/role:Role")).to.have.length(0);
  });

  it("prints a ready-to-run docker run line with the bucket and image and no secret values", async () => {
    const { ingestor } = build("alice");
    const line = await valueOf(ingestor.dockerRunCommand);
    const image = await valueOf(ingestor.imageUri);
    expect(line).to.equal(
      `docker run --rm -v "$PWD":/data:ro -e LAKE_BUCKET=cinelake-alice-lake -e AWS_REGION=us-east-1 ` +
        `-e AWS_ACCESS_KEY_ID -e AWS_SECRET_ACCESS_KEY -e AWS_SESSION_TOKEN ${image}`,
    );
    expect(line).not.to.match(/AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN)=/);
    expect(await valueOf(ingestor.dockerLoginCommand)).to.equal(
      "aws ecr get-login-password --region us-east-1 | docker login --username AWS --password-stdin 123456789012.dkr.ecr.us-east-1.amazonaws.com",
    );
    expect(dockerRunCommand({ image: "i", bucket: "b", region: "r", hostDataDir: "/srv/csv" })).to.include(
      "-v /srv/csv:/data:ro",
    );
  });

  it("bundles the real CLI next to its Dockerfile by default (prepareImageContext)", async () => {
    build("alice", { image: undefined });
    await settle();
    const image = (plain(oneOfType("docker:index/image:Image").inputs) as { build: Record<string, string> }).build;
    expect(image.dockerfile).to.equal(resolve(String(image.context), "Dockerfile"));
    expect(existsSync(String(image.dockerfile)), String(image.dockerfile)).to.equal(true);
    expect(existsSync(resolve(String(image.context), "dist/cli.js"))).to.equal(true);
  });

  it("can skip the image build", async () => {
    const { ingestor } = build("alice", { buildImage: false });
    await settle();
    expect(ofType("docker:index/image:Image")).to.have.length(0);
    expect(await valueOf(ingestor.imageUri)).to.match(/cinelake-alice-batch-ingestor:latest$/);
  });

  it("is cinelake:index:BatchIngestor, aliased from cinelake:ingest:BatchIngestor", async () => {
    build("alice");
    await settle();
    expectAliasedFrom("cinelake:index:BatchIngestor", "cinelake:ingest:BatchIngestor");
    expectStackTags("aws:ecr/repository:Repository", "alice");
  });

  it("names everything after its name prefix, so a second lake's ingestor collides with nothing", async () => {
    const lake = new DataLakeBucket("books-lake", { stackName: "alice", namePrefix: "books" });
    const ingestor = new BatchIngestor("books-batch", {
      stackName: "alice",
      namePrefix: "books",
      bucket: lake,
      image: { context: "/ctx", dockerfile: "/ctx/Dockerfile" },
    });
    await settle();
    expect(oneOfType("aws:ecr/repository:Repository").inputs.name).to.equal("books-alice-batch-ingestor");
    expect(oneOfType("aws:iam/role:Role").inputs.name).to.equal("books-alice-batch-ingestor");
    expect(oneOfType("aws:iam/policy:Policy").inputs.name).to.equal("books-alice-batch-ingestor");
    expect(await valueOf(ingestor.repositoryName)).to.equal("books-alice-batch-ingestor");
    expect(await valueOf(ingestor.roleName)).to.equal("books-alice-batch-ingestor");
    expectNoDefaultPrefix();
  });

  it("exposes the repository's name and ARN, and no role when the policy goes to an existing one", async () => {
    const { ingestor } = build("alice", { attachToRoleName: "students" });
    await settle();
    expect(await valueOf(ingestor.repositoryArn)).to.match(
      /^arn:aws:ecr:.*:repository\/cinelake-alice-batch-ingestor$/,
    );
    expect(await valueOf(ingestor.roleArn)).to.equal(undefined);
    expect(await valueOf(ingestor.roleName)).to.equal(undefined);
  });

  it("lets the new role trust the given principals", async () => {
    build("alice", { trustedPrincipalArns: ["arn:aws:iam::123456789012:role/ci"] });
    await settle();
    expect(
      JSON.parse(String(oneOfType("aws:iam/role:Role").inputs.assumeRolePolicy)).Statement[0].Principal,
    ).to.deep.equal({
      AWS: ["arn:aws:iam::123456789012:role/ci"],
    });
  });

  const bad: [string, Partial<BatchIngestorArgs>, RegExp][] = [
    ["no specs", { specs: [] }, /^specs: is empty/],
    ["an unknown spec", { specs: ["Episodes" as never] }, /^specs: "Episodes" is not a batch dataset/],
    ["an unsupported platform", { platform: "windows/amd64" }, /^platform: "windows\/amd64"/],
    ["a bad stack name", { stackName: "x" }, /^stackName: "x" has 1 characters/],
    ["a bad name prefix", { namePrefix: "Books" }, /^namePrefix: "Books" is not a name prefix/],
    [
      "both an existing role and user",
      { attachToRoleName: "r", attachToUserName: "u" },
      /^attachToRoleName: and attachToUserName are both set/,
    ],
    [
      "trusted principals for an existing role",
      { attachToRoleName: "r", trustedPrincipalArns: ["arn:aws:iam::123456789012:root"] },
      /^trustedPrincipalArns: is set, but no role is created/,
    ],
  ];
  for (const [what, overrides, message] of bad)
    it(`refuses ${what} before registering any AWS resource`, async () => {
      const lake = new DataLakeBucket(`bad-lake-${what.replace(/\W/g, "")}`, { stackName: "alice" });
      await settle(3);
      resetRegistered();
      expect(
        () => new BatchIngestor(`bad-${what.replace(/\W/g, "")}`, { stackName: "alice", bucket: lake, ...overrides }),
      ).to.throw(ConfigError, message);
      await settle(3);
      expect(registered.filter((r) => !r.type.startsWith("cinelake:"))).to.deep.equal([]);
      // Checked before super(): not even the component is registered.
      expect(registered).to.deep.equal([]);
    });
});
