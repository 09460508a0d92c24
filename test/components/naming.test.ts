import { expect } from "chai";
import {
  ConfigError,
  bucketNameProblem,
  catalogName,
  checkBucketName,
  checkStackName,
  lakeBucketName,
  physicalName,
} from "../../components/naming";

describe("naming", () => {
  it("accepts plain student and environment names", () => {
    for (const name of ["alice", "dev", "team-3", "a1", "x".repeat(24)]) expect(checkStackName(name)).to.equal(name);
  });

  const badStacks: [string, RegExp][] = [
    ["", /is missing/],
    ["a", /has 1 characters/],
    ["x".repeat(25), /has 25 characters/],
    ["Alice", /has characters/],
    ["1alice", /has characters/],
    ["alice-", /has characters/],
    ["-alice", /has characters/],
    ["al--ice", /has characters/],
    ["al_ice", /has characters/],
    ["al.ice", /has characters/],
    ["al ice", /has characters/],
    ["alicé", /has characters/],
  ];
  for (const [name, problem] of badStacks)
    it(`refuses the stack name ${JSON.stringify(name)}, naming the setting and the fix`, () => {
      try {
        checkStackName(name, "cinelake:student");
        expect.fail("accepted");
      } catch (error) {
        expect(error).to.be.instanceOf(ConfigError);
        expect((error as ConfigError).setting).to.equal("cinelake:student");
        expect((error as Error).message).to.match(problem);
        expect((error as Error).message).to.match(/^cinelake:student: .*\. Fix: use 2–24 lowercase letters/);
      }
    });

  it("scopes physical names to the stack and enforces AWS's length limits", () => {
    expect(physicalName("alice", ["api-ingestor"])).to.equal("cinelake-alice-api-ingestor");
    expect(physicalName("bob", ["api-ingestor"])).not.to.equal(physicalName("alice", ["api-ingestor"]));
    expect(physicalName("alice", ["x"], { prefix: "movies" })).to.equal("movies-alice-x");
    expect(() =>
      physicalName("x".repeat(24), ["a-very-long-component-name-that-overflows"], { maxLength: 64 }),
    ).to.throw(ConfigError, /over AWS's limit of 64.*Fix: choose a shorter student or environment name/);
    expect(() => physicalName("alice", ["Bad_Part"])).to.throw(ConfigError, /Bad_Part/);
    expect(catalogName("team-3")).to.equal("cinelake_team_3");
    expect(catalogName("alice", ["workgroup"])).to.equal("cinelake_alice_workgroup");
  });

  it("gives the lake bucket a valid stack-scoped name", () => {
    expect(lakeBucketName("alice")).to.equal("cinelake-alice-lake");
    expect(lakeBucketName("alice", { suffix: "123456789012" })).to.equal("cinelake-alice-123456789012-lake");
    expect(lakeBucketName("x".repeat(24), { suffix: "y".repeat(24) })).to.have.length(63);
    expect(() => lakeBucketName("x".repeat(24), { suffix: "y".repeat(25) })).to.throw(
      ConfigError,
      /^bucketSuffix: .* 64 characters/,
    );
  });

  const badBuckets: [string, RegExp][] = [
    ["ab", /has 2 characters; S3 needs 3 to 63/],
    ["a".repeat(64), /has 64 characters/],
    ["192.168.5.4", /formatted as an IP address/],
    ["my..bucket", /contains "\.\."/],
    ["My-bucket", /uppercase/],
    ["my.bucket", /contains a dot/],
    ["my_bucket", /characters other than/],
    ["-bucket", /begin and end/],
    ["bucket-", /begin and end/],
    ["xn--bucket", /starts with "xn--"/],
    ["sthree-bucket", /starts with "sthree-"/],
    ["amzn-s3-demo-bucket", /starts with "amzn-s3-demo-"/],
    ["bucket-s3alias", /ends with "-s3alias"/],
    ["bucket--ol-s3", /ends with "--ol-s3"/],
    ["bucket--x-s3", /ends with "--x-s3"/],
    ["bucket--table-s3", /ends with "--table-s3"/],
  ];
  for (const [name, problem] of badBuckets)
    it(`refuses the bucket name ${JSON.stringify(name.length > 20 ? `${name.slice(0, 10)}…` : name)}`, () => {
      expect(bucketNameProblem(name)).to.match(problem);
      expect(() => checkBucketName(name, "bucketSuffix", "rename it")).to.throw(
        ConfigError,
        /^bucketSuffix: the bucket name/,
      );
    });

  it("accepts valid bucket names", () => {
    for (const name of ["abc", "cinelake-alice-lake", "a".repeat(63), "1-2-3", "xn-ok", "s3alias-first"])
      expect(bucketNameProblem(name), name).to.equal(undefined);
  });
});
