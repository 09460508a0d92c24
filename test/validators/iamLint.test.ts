/**
 * The IAM lint (programs/preview/iamLint.ts): parliament finds nothing beyond the documented false positives in the
 * documents the program registers for two stacks, and does report a planted bad document.
 */
import { expect } from "chai";
import type { PolicyDocument } from "../../components/policy";
import type { RegisteredResource } from "../../programs/preview/mocks";
import {
  KNOWN_FALSE_POSITIVES,
  describeGrants,
  iamDocuments,
  lintIamPolicies,
  type IamLintResult,
} from "../../programs/preview/iamLint";
import { previewStack } from "../../programs/preview/stack";

/** A registered resource holding one policy document, for planting documents. */
function resource(type: string, name: string, inputs: Record<string, unknown>): RegisteredResource {
  return {
    type,
    name,
    inputs,
    urn: `urn:pulumi:test::cinelake::${type}::${name}`,
    parent: "",
    custom: true,
    dependencies: [],
    deleteBeforeReplace: false,
    aliases: [],
    state: { ...inputs, name, arn: `arn:aws:iam::123456789012:policy/${name}` },
  };
}

const findingsOf = (results: IamLintResult[]) =>
  results.flatMap((r) => r.findings.map((f) => `${r.document.id}: ${f.issue} ${JSON.stringify(f.detail)}`));

describe("IAM lint (parliament)", function () {
  this.timeout(120_000);

  for (const stack of ["dev", "alice"])
    it(`finds no problem in the ${stack} stack's IAM documents beyond the documented false positives`, async () => {
      const { resources } = await previewStack(stack);
      const results = lintIamPolicies(resources);
      // Each role's trust policy, each inline and managed policy, the bucket policy: a document missed would be a
      // document nobody checks.
      const count = (type: string) => resources.filter((r) => r.type === type).length;
      const documents = (type: string) => results.filter((r) => r.document.resourceType === type).length;
      expect(count("aws:iam/role:Role")).to.be.at.least(6);
      for (const type of [
        "aws:iam/role:Role",
        "aws:iam/rolePolicy:RolePolicy",
        "aws:iam/policy:Policy",
        "aws:s3/bucketPolicy:BucketPolicy",
      ])
        expect(documents(type), type).to.equal(count(type));
      expect(results.filter((r) => r.document.kind === undefined).map((r) => r.document.id)).to.deep.equal([]);
      expect(findingsOf(results)).to.deep.equal([]);
      for (const result of results)
        for (const { reason } of result.accepted)
          expect(KNOWN_FALSE_POSITIVES.map((fp) => fp.reason)).to.include(reason);
      // Every identity document applies to a role of the stack.
      for (const document of iamDocuments(resources).filter((d) => d.kind !== "resource"))
        expect(document.roles, document.id).to.have.length.greaterThan(0);
    });

  it("reports a planted unknown action, a resource that does not fit the action, and an unknown document kind", () => {
    const bad: PolicyDocument = {
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Action: ["s3:GetObjekt"], Resource: ["arn:aws:s3:::cinelake-dev-lake/Raw/*"] },
        // ListBucket is a bucket action: an object ARN grants nothing.
        { Effect: "Allow", Action: ["s3:ListBucket"], Resource: ["arn:aws:s3:::cinelake-dev-lake/Raw/*"] },
      ],
    };
    const results = lintIamPolicies([
      resource("aws:iam/rolePolicy:RolePolicy", "planted", { role: "r", policy: JSON.stringify(bad) }),
      resource("cinelake:test:Unknown", "unknown-kind", { policy: JSON.stringify(bad) }),
    ]);
    const issues = results.map((r) => r.findings.map((f) => f.issue));
    expect(issues[0]).to.include.members(["UNKNOWN_ACTION", "RESOURCE_MISMATCH"]);
    expect(issues[1]).to.include("UNKNOWN_DOCUMENT_KIND");
  });

  it("accepts the trust policy's missing Resource only for trust policies", () => {
    const trust = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { Service: "glue.amazonaws.com" }, Action: "sts:AssumeRole" }],
    });
    const [asTrust, asIdentity] = lintIamPolicies([
      resource("aws:iam/role:Role", "role", { assumeRolePolicy: trust }),
      resource("aws:iam/rolePolicy:RolePolicy", "inline", { role: "role", policy: trust }),
    ]);
    expect(asTrust!.findings).to.deep.equal([]);
    expect(asTrust!.accepted.map((a) => a.finding.issue)).to.deep.equal(["MALFORMED"]);
    expect(asIdentity!.findings.map((f) => f.issue)).to.deep.equal(["MALFORMED"]);
  });

  it("says each grant in plain words", () => {
    const bucket = "arn:aws:s3:::cinelake-dev-lake";
    expect(
      describeGrants({
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Action: ["s3:GetObject"], Resource: [`${bucket}/Raw/Local/CSV/Movies/*`] },
          { Effect: "Allow", Action: ["s3:ListBucket"], Resource: [bucket] },
          { Effect: "Allow", Action: ["s3:PutObject", "s3:DeleteObject"], Resource: [`${bucket}/Trusted_$folder$`] },
          { Effect: "Allow", Principal: { Service: "glue.amazonaws.com" }, Action: "sts:AssumeRole" },
          {
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: [bucket, `${bucket}/*`],
            Condition: { Bool: { "aws:SecureTransport": false } },
          },
        ],
      }),
    ).to.deep.equal([
      "read Raw/Local/CSV/Movies/*",
      "list the bucket's key names",
      "write Trusted_$folder$",
      "delete Trusted_$folder$",
      "assume the role: glue.amazonaws.com",
      "deny: s3:* on the bucket cinelake-dev-lake, every object (only when aws:SecureTransport Bool false)",
    ]);
  });
});
