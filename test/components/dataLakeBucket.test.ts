import { expect } from "chai";
import { DataLakeBucket, type DataLakeBucketArgs } from "../../components/dataLakeBucket";
import { DATASETS } from "../../lake/paths";
import { ConfigError } from "../../components/naming";
import {
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

const S3 = "aws:s3/";

describe("DataLakeBucket", () => {
  before(() => useMocks({ stack: "alice" }));
  beforeEach(resetRegistered);

  it("names the bucket after the stack and exposes name, ARN and zone URIs", async () => {
    const lake = new DataLakeBucket("lake", { stackName: "alice" });
    expect(await valueOf(lake.bucketName)).to.equal("cinelake-alice-lake");
    expect(await valueOf(lake.bucketArn)).to.equal("arn:aws:s3:::cinelake-alice-lake");
    expect(await valueOf(lake.rawUri)).to.equal("s3://cinelake-alice-lake/Raw/");
    expect(await valueOf(lake.trustedUri)).to.equal("s3://cinelake-alice-lake/Trusted/");
    expect(await valueOf(lake.refinedUri)).to.equal("s3://cinelake-alice-lake/Refined/");
    expect(lake.plannedBucketName).to.equal("cinelake-alice-lake");
  });

  it("is secure by default: private, owner-enforced, SSE-S3, versioned, TLS-only, uploads cleaned, no forceDestroy", async () => {
    new DataLakeBucket("lake", { stackName: "bob" });
    await settle();
    const bucket = oneOfType(`${S3}bucket:Bucket`).inputs;
    expect(bucket.bucket).to.equal("cinelake-bob-lake");
    expect(bucket.forceDestroy).to.equal(false);
    expect(bucket.tags).to.include({ stack: "bob" });

    const pab = oneOfType(`${S3}bucketPublicAccessBlock:BucketPublicAccessBlock`).inputs;
    expect(pab).to.include({
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    const ownership = oneOfType(`${S3}bucketOwnershipControls:BucketOwnershipControls`).inputs;
    expect(ownership.rule).to.deep.equal({ objectOwnership: "BucketOwnerEnforced" });

    const sse = oneOfType(`${S3}bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration`);
    expect(sse.inputs.rules).to.deep.equal([{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }]);

    const versioning = oneOfType(`${S3}bucketVersioning:BucketVersioning`).inputs;
    expect(versioning.versioningConfiguration).to.deep.equal({ status: "Enabled" });

    const lifecycle = oneOfType(`${S3}bucketLifecycleConfiguration:BucketLifecycleConfiguration`).inputs;
    const rules = lifecycle.rules as Record<string, unknown>[];
    const abort = rules.find((rule) => rule.abortIncompleteMultipartUpload);
    expect(abort).to.deep.include({ status: "Enabled", abortIncompleteMultipartUpload: { daysAfterInitiation: 7 } });
    expect(rules.find((rule) => rule.noncurrentVersionExpiration)).to.deep.include({
      noncurrentVersionExpiration: { noncurrentDays: 30 },
    });

    const policy = parsePolicy(oneOfType(`${S3}bucketPolicy:BucketPolicy`).inputs.policy);
    expect(policy.Statement).to.deep.equal([
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: ["arn:aws:s3:::cinelake-bob-lake", "arn:aws:s3:::cinelake-bob-lake/*"],
        Condition: { Bool: { "aws:SecureTransport": false } },
      },
    ]);
    // Every setting targets this bucket, not another.
    for (const resource of registered.filter((r) => r.type.startsWith(S3) && r.type !== `${S3}bucket:Bucket`))
      expect(resource.inputs.bucket, resource.type).to.equal("cinelake-bob-lake");
  });

  it("uses KMS with bucket keys when a key is given, and honours the escape hatches", async () => {
    const key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    const lake = new DataLakeBucket("lake", {
      stackName: "carol",
      kmsKeyArn: key,
      forceDestroy: true,
      keepNoncurrentVersions: true,
      abortIncompleteUploadDays: 1,
      extraPolicyStatements: [
        {
          Sid: "Reader",
          Effect: "Allow",
          Principal: { AWS: "arn:aws:iam::210987654321:root" },
          Action: "s3:GetObject",
          Resource: "arn:aws:s3:::cinelake-carol-lake/Refined/*",
        },
      ],
    });
    await settle();
    expect(await valueOf(lake.kmsKeyArn)).to.equal(key);
    const sse = ofType(`${S3}bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration`)[0]!;
    expect(sse.inputs.rules).to.deep.equal([
      { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key }, bucketKeyEnabled: true },
    ]);
    expect(oneOfType(`${S3}bucket:Bucket`).inputs.forceDestroy).to.equal(true);
    const rules = plain(oneOfType(`${S3}bucketLifecycleConfiguration:BucketLifecycleConfiguration`).inputs.rules);
    expect(rules).to.have.length(1);
    const policy = parsePolicy(oneOfType(`${S3}bucketPolicy:BucketPolicy`).inputs.policy);
    expect(policy.Statement.map((s) => s.Sid)).to.deep.equal(["DenyInsecureTransport", "Reader"]);
  });

  it("turns lake paths into keys and URIs through lakePaths, refusing bad ones", async () => {
    const lake = new DataLakeBucket("lake", { stackName: "dave" });
    const path = { ...DATASETS.rawMoviesCsv, date: "2022-05-02", file: "movies.csv" };
    expect(lake.key(path)).to.equal("Raw/Local/CSV/Movies/2022/05/02/movies.csv");
    expect(await valueOf(lake.uri(path))).to.equal(
      "s3://cinelake-dave-lake/Raw/Local/CSV/Movies/2022/05/02/movies.csv",
    );
    expect(await valueOf(lake.prefixUri(DATASETS.rawTmdbSeries))).to.equal(
      "s3://cinelake-dave-lake/Raw/TMDB/JSON/Series/",
    );
    expect(await valueOf(lake.prefixUri("_system/scripts/"))).to.equal("s3://cinelake-dave-lake/_system/scripts/");
    expect(() => lake.key({ ...path, file: "../x" })).to.throw(/\.\./);
    expect(() => lake.key({ ...path, date: "2022-02-30" })).to.throw(/not a real calendar day/);
    expect(() => lake.prefixUri("Raw")).to.throw(ConfigError, /does not end with "\/"/);
    expect(() => lake.prefixUri("Raw/../x/")).to.throw(ConfigError, /\.\./);
  });

  it("appends the optional suffix so the global S3 namespace is unlikely to clash", async () => {
    const lake = new DataLakeBucket("lake", { stackName: "erin", bucketSuffix: "123456789012", namePrefix: "movies" });
    expect(await valueOf(lake.bucketName)).to.equal("movies-erin-123456789012-lake");
  });

  it("is cinelake:index:DataLakeBucket, aliased from cinelake:storage:DataLakeBucket so stacks see no replacement", async () => {
    new DataLakeBucket("lake", { stackName: "alice" });
    await settle();
    const component = oneOfType("cinelake:index:DataLakeBucket");
    expect(component.aliases.map((alias) => alias.type)).to.include("cinelake:storage:DataLakeBucket");
    expect(ofType("cinelake:storage:DataLakeBucket")).to.deep.equal([]);
  });

  it("defaults the stack name to the Pulumi stack's, and tags every taggable child with project, stack and the caller's", async () => {
    const lake = new DataLakeBucket("lake", { tags: { course: "de-101" } });
    await settle();
    expect(lake.plannedBucketName).to.equal("cinelake-alice-lake");
    expect(oneOfType(`${S3}bucket:Bucket`).inputs.tags).to.deep.equal({
      project: "cinelake",
      stack: "alice",
      course: "de-101",
    });
  });

  it("takes a second lake's name prefix, so it sits beside the first in one stack without a shared name", async () => {
    const books = new DataLakeBucket("books-lake", { stackName: "alice", namePrefix: "books" });
    await settle();
    expect(await valueOf(books.bucketName)).to.equal("books-alice-lake");
    expect(oneOfType(`${S3}bucket:Bucket`).inputs.tags).to.include({ project: "books" });
    // Nothing of the books lake carries the movies lake's prefix.
    expect(JSON.stringify(registered.map((r) => plain(r.inputs)))).not.to.include("cinelake");
    new DataLakeBucket("lake", { stackName: "alice" });
    await settle();
    expect(ofType(`${S3}bucket:Bucket`).map((b) => b.inputs.bucket)).to.deep.equal([
      "books-alice-lake",
      "cinelake-alice-lake",
    ]);
  });

  it("keeps replaced versions forever only when told to, and refuses a retention beside that switch", async () => {
    new DataLakeBucket("lake", { stackName: "alice", keepNoncurrentVersions: true });
    await settle();
    const rules = plain(oneOfType(`${S3}bucketLifecycleConfiguration:BucketLifecycleConfiguration`).inputs.rules);
    expect((rules as Record<string, unknown>[]).map((rule) => rule.id)).to.deep.equal([
      "abort-incomplete-multipart-uploads",
    ]);
    resetRegistered();
    new DataLakeBucket("lake2", { stackName: "alice", keepNoncurrentVersions: false, noncurrentVersionDays: 9 });
    await settle();
    expect(
      plain(ofType(`${S3}bucketLifecycleConfiguration:BucketLifecycleConfiguration`)[0]!.inputs.rules),
    ).to.deep.include({
      id: "expire-noncurrent-versions",
      status: "Enabled",
      filter: {},
      noncurrentVersionExpiration: { noncurrentDays: 9 },
    });
  });

  const bad: [string, DataLakeBucketArgs, RegExp][] = [
    ["a missing stack name", { stackName: "" }, /^stackName: is missing\. Fix: use 2–24 lowercase/],
    ["an uppercase stack name", { stackName: "Alice" }, /^stackName: "Alice" has characters.*Fix:/],
    ["a stack name with dots", { stackName: "a.b" }, /^stackName: "a\.b"/],
    ["a too long stack name", { stackName: "a".repeat(25) }, /^stackName: .* has 25 characters/],
    ["a stack name ending in a hyphen", { stackName: "alice-" }, /^stackName:/],
    ["a double hyphen", { stackName: "a--b" }, /^stackName:/],
    [
      "an uppercase prefix",
      { stackName: "alice", namePrefix: "Cine" },
      /^namePrefix: the bucket name "Cine-alice-lake" has uppercase/,
    ],
    ["a reserved prefix", { stackName: "alice", namePrefix: "xn--lake" }, /^namePrefix: .* starts with "xn--"/],
    ["a dotted suffix", { stackName: "alice", bucketSuffix: "a.b" }, /^bucketSuffix: .* contains a dot/],
    [
      "a too long name",
      { stackName: "alice", bucketSuffix: "x".repeat(50) },
      /^bucketSuffix: .* has 70 characters; S3 needs 3 to 63/,
    ],
    ["a zero-day abort", { stackName: "alice", abortIncompleteUploadDays: 0 }, /^abortIncompleteUploadDays: 0 is not/],
    ["fractional retention", { stackName: "alice", noncurrentVersionDays: 1.5 }, /^noncurrentVersionDays: 1\.5/],
    [
      "a retention beside keepNoncurrentVersions",
      { stackName: "alice", keepNoncurrentVersions: true, noncurrentVersionDays: 30 },
      /^noncurrentVersionDays: is set while keepNoncurrentVersions keeps replaced versions forever\. Fix: set only one/,
    ],
    [
      "a hyphenated prefix",
      { stackName: "alice", namePrefix: "my-lake" },
      /^namePrefix: "my-lake" is not a name prefix/,
    ],
  ];
  for (const [what, args, message] of bad)
    it(`refuses ${what} before registering anything`, async () => {
      expect(() => new DataLakeBucket(`bad-${what.replace(/\W/g, "")}`, args)).to.throw(ConfigError, message);
      await settle(5);
      expect(registered.filter((r) => !r.type.startsWith("cinelake:"))).to.deep.equal([]);
      // Checked before super(): not even the component is registered.
      expect(registered).to.deep.equal([]);
    });
});
