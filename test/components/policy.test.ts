import { expect } from "chai";
import { DATASETS, datasetPrefix } from "../../lake/paths";
import { ConfigError } from "../../components/naming";
import {
  checkPolicyPrefix,
  denyInsecureTransportStatement,
  principalTrustPolicy,
  s3PrefixPolicy,
  s3PrefixPolicyStatements,
  serviceTrustPolicy,
  type PolicyStatement,
} from "../../components/policy";
import { useMocks, valueOf } from "../support/pulumiMocks";

const ARN = "arn:aws:s3:::cinelake-alice-lake";
const raw = datasetPrefix(DATASETS.rawMoviesCsv);
const tmdb = datasetPrefix(DATASETS.rawTmdbMovies);

/** Whether a statement's resource pattern covers an object key (IAM `*` matches any characters, `/` included). */
function covers(statement: PolicyStatement, key: string): boolean {
  return ([] as string[]).concat(statement.Resource ?? []).some((pattern) => {
    const regex = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`);
    return regex.test(`${ARN}/${key}`);
  });
}

describe("policy", () => {
  before(() => useMocks());

  it("grants reads and writes on exactly the given prefixes, and listing the bucket's key names", () => {
    const statements = s3PrefixPolicyStatements(ARN, { read: [raw], write: [tmdb] });
    const bySid = Object.fromEntries(statements.map((s) => [s.Sid, s]));
    expect(Object.keys(bySid)).to.deep.equal(["ReadPrefixes", "WritePrefixes", "ListBucket", "FindOwnUploads"]);
    expect(bySid.ReadPrefixes).to.deep.equal({
      Sid: "ReadPrefixes",
      Effect: "Allow",
      Action: ["s3:GetObject"],
      Resource: [`${ARN}/Raw/Local/CSV/Movies/*`],
    });
    expect(bySid.WritePrefixes!.Resource).to.deep.equal([`${ARN}/Raw/TMDB/JSON/Movies/*`]);
    // Unconditioned: a GetObject of a missing key carries no s3:prefix, and S3 answers it 404 (not 403) only to a
    // caller allowed s3:ListBucket (finding 3; evaluated with AWS's rules in test/validators/s3Requests.test.ts).
    expect(bySid.ListBucket).to.deep.equal({
      Sid: "ListBucket",
      Effect: "Allow",
      Action: ["s3:ListBucket"],
      Resource: [ARN],
    });
    // Scoped: a sibling dataset, a prefix that merely starts alike and another bucket are not covered.
    expect(covers(bySid.ReadPrefixes!, "Raw/Local/CSV/Movies/2022/05/02/movies.csv")).to.equal(true);
    expect(covers(bySid.ReadPrefixes!, "Raw/Local/CSV/Series/2022/05/02/series.csv")).to.equal(false);
    expect(covers(bySid.ReadPrefixes!, "Raw/Local/CSV/MoviesOld/x.csv")).to.equal(false);
    expect(covers(bySid.WritePrefixes!, "Raw/Local/CSV/Movies/2022/05/02/movies.csv")).to.equal(false);
    expect(covers(bySid.WritePrefixes!, "Trusted/TMDB/Parquet/Movies/x.parquet")).to.equal(false);
  });

  it("omits what is not asked for, dedupes, and adds KMS only when the bucket has a key", () => {
    expect(s3PrefixPolicyStatements(ARN, {})).to.deep.equal([]);
    const readOnly = s3PrefixPolicyStatements(ARN, { read: [raw, raw], kmsKeyArn: "arn:aws:kms:us-east-1:1:key/k" });
    expect(readOnly.map((s) => s.Sid)).to.deep.equal(["ReadPrefixes", "ListBucket", "UseLakeKey"]);
    expect(readOnly[0]!.Resource).to.have.length(1);
    expect(readOnly[2]!.Action).to.deep.equal(["kms:Decrypt"]);
    const writer = s3PrefixPolicyStatements(ARN, { write: [tmdb], kmsKeyArn: "arn:aws:kms:us-east-1:1:key/k" });
    expect(writer.find((s) => s.Sid === "UseLakeKey")!.Action).to.deep.equal(["kms:Decrypt", "kms:GenerateDataKey"]);
    expect(s3PrefixPolicyStatements(ARN, { delete: [tmdb] })[0]).to.deep.include({ Action: ["s3:DeleteObject"] });
    for (const statements of [readOnly, writer])
      expect(
        statements.filter((s) => s.Condition),
        "no conditioned statement",
      ).to.deep.equal([]);
  });

  const badPrefixes: [string, RegExp][] = [
    ["", /empty and would grant the whole bucket/],
    ["/Raw/", /starts with "\/"/],
    ["Raw", /does not end with "\/"/],
    ["Raw/*/", /wildcard/],
    ["Raw/?/", /wildcard/],
    ["Raw/../Trusted/", /"\." or "\.\." parts/],
    ["./Raw/", /"\." or "\.\." parts/],
  ];
  for (const [prefix, message] of badPrefixes)
    it(`refuses the prefix ${JSON.stringify(prefix)}`, () => {
      expect(() => checkPolicyPrefix(prefix)).to.throw(ConfigError, message);
      expect(() => s3PrefixPolicyStatements(ARN, { write: [prefix] })).to.throw(ConfigError, /^prefix: /);
    });

  it("refuses something that is not a bucket ARN", () => {
    for (const arn of ["cinelake-alice-lake", "arn:aws:s3:::bucket/Raw", "*", "arn:aws:iam::1:role/x"])
      expect(() => s3PrefixPolicyStatements(arn, { read: [raw] }), arn).to.throw(ConfigError, /^bucketArn:/);
  });

  it("builds TLS-only and trust statements", () => {
    expect(denyInsecureTransportStatement(ARN)).to.deep.include({
      Effect: "Deny",
      Resource: [ARN, `${ARN}/*`],
      Condition: { Bool: { "aws:SecureTransport": false } },
    });
    expect(serviceTrustPolicy("glue.amazonaws.com").Statement[0]!.Principal).to.deep.equal({
      Service: "glue.amazonaws.com",
    });
    expect(() => principalTrustPolicy([])).to.throw(ConfigError, /^trustedPrincipalArns: is empty/);
  });

  it("resolves a policy over an output bucket ARN with extra statements", async () => {
    const json = await valueOf(
      s3PrefixPolicy(Promise.resolve(ARN), { read: [raw] }, [
        { Sid: "Extra", Effect: "Allow", Action: "glue:GetTable", Resource: "*" },
      ]),
    );
    const document = JSON.parse(json);
    expect(document.Version).to.equal("2012-10-17");
    expect(document.Statement.map((s: PolicyStatement) => s.Sid)).to.deep.equal([
      "ReadPrefixes",
      "ListBucket",
      "Extra",
    ]);
  });
});
