import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { load } from "js-yaml";
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { evaluatePolicies, runPolicies, toPolicyResources, type PolicyViolation } from "../../policies/adapter";
import { nameWords, secretReason, secretValue } from "../../policies/detect";
import {
  CINELAKE_POLICIES,
  LAKE_BUCKET_NAME,
  RESOURCE_STAR_ACTIONS,
  TYPES,
  companionsOf,
  isLakeBucket,
  lakeBucketPrivate,
} from "../../policies/policies";
import { plain, valueOf, type RegisteredResource } from "../../programs/preview/mocks";
import { previewStack } from "../../programs/preview/stack";

const POLICIES_DIR = resolve(__dirname, "../../policies");
const archive = () => new pulumi.asset.AssetArchive({ "index.js": new pulumi.asset.StringAsset("exports.handler=1") });
/** Code stand-ins, so the stacks are built without bundling (the component tests bundle for real). */
const PREBUILT = {
  batchImage: { context: "/prebuilt", dockerfile: "/prebuilt/Dockerfile" },
  apiIngestor: { code: archive(), layerCode: archive() },
};

interface Stack {
  resources: RegisteredResource[];
  outputs: Record<string, unknown>;
  bucket: string;
}

/** Builds a stack under the mocks and resolves its outputs (what the engine hands stack policies after `up`). */
async function stack(name: string): Promise<Stack> {
  const preview = await previewStack(name, { prebuilt: PREBUILT });
  const outputs: Record<string, unknown> = {};
  for (const [key, output] of Object.entries(preview.lake.outputs))
    outputs[key] = await valueOf(output as pulumi.Output<unknown>);
  return { resources: preview.resources, outputs, bucket: String(outputs.bucket) };
}

type Props = Record<string, unknown> & { [key: string]: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A deep copy of plain objects and arrays; anything else (assets, archives) is shared, as nothing changes it. */
function copyOf<T>(value: T): T {
  if (Array.isArray(value)) return value.map(copyOf) as T;
  if (typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype)
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, copyOf(item)])) as T;
  return value;
}

/** A copy of the resources where exactly one resource (type and logical name) has its inputs and outputs changed. */
function mutate(resources: RegisteredResource[], type: string, name: string, change: (props: Props) => void) {
  let found = 0;
  const copy = resources.map((resource) => {
    if (resource.type !== type || resource.name !== name) return resource;
    found += 1;
    const changed = copyOf(resource);
    changed.inputs = plain(changed.inputs) as Props;
    change(changed.inputs as Props);
    change(changed.state as Props);
    return changed;
  });
  expect(found, `${type} ${name}`).to.equal(1);
  return copy;
}

/** A copy without one resource. */
function without(resources: RegisteredResource[], type: string, name: string) {
  const copy = resources.filter((resource) => resource.type !== type || resource.name !== name);
  expect(copy.length).to.equal(resources.length - 1);
  return copy;
}

/** Appends a statement to a resource's `policy` JSON. */
function withStatement(resources: RegisteredResource[], type: string, name: string, statement: object) {
  return mutate(resources, type, name, (props) => {
    const document = JSON.parse(String(props.policy));
    document.Statement.push(statement);
    props.policy = JSON.stringify(document);
  });
}

const API_POLICY = [TYPES.rolePolicy, "api-ingestor-role-policy"] as const;
const LAMBDA = [TYPES.lambdaFunction, "api-ingestor-fn"] as const;
const setEnv = (name: string, value: string) => (props: Props) => {
  props.environment.variables[name] = value;
};

describe("the policy pack", function () {
  this.timeout(120_000);
  let dev: Stack;
  let alice: Stack;

  before(async () => {
    dev = await stack("dev");
    alice = await stack("alice");
  });

  describe("the program's stacks keep the secure defaults", () => {
    for (const name of ["dev", "alice"]) {
      it(`${name}: no violation, and every policy applies`, () => {
        const target = name === "dev" ? dev : alice;
        const evaluation = evaluatePolicies(target.resources, { stackOutputs: target.outputs });
        expect(evaluation.violations).to.deep.equal([]);
        // The registered resources plus the stack resource carrying the outputs.
        expect(evaluation.resources).to.equal(target.resources.length + 1);
        expect(evaluation.verdicts.map((verdict) => verdict.policy)).to.deep.equal(
          CINELAKE_POLICIES.map((policy) => policy.name),
        );
        for (const verdict of evaluation.verdicts) {
          expect(verdict.notApplicable, verdict.policy).to.equal(undefined);
          expect(verdict.checked, verdict.policy).to.be.greaterThan(0);
        }
        // The resource policies reached what they are for: every IAM document holder, the one Lambda.
        const byName = Object.fromEntries(evaluation.verdicts.map((verdict) => [verdict.policy, verdict.checked]));
        const holders = target.resources.filter((resource) => /^aws:iam\/|^aws:s3\/bucketPolicy:/.test(resource.type));
        expect(byName["iam-no-wildcards"]).to.equal(holders.length);
        expect(byName["lambda-env-no-secrets"]).to.equal(1);
      });
    }

    it("recognises each stack's own lake bucket", () => {
      expect(dev.bucket).to.equal("cinelake-dev-lake");
      expect(alice.bucket).to.equal("cinelake-alice-lake");
      const lakes = toPolicyResources(dev.resources).filter(isLakeBucket);
      expect(lakes.map((bucket) => bucket.props.bucket)).to.deep.equal([dev.bucket]);
      expect(LAKE_BUCKET_NAME.test("cinelake-alice-123456789012-lake")).to.equal(true);
      expect(LAKE_BUCKET_NAME.test("cinelake-dev-athena-results")).to.equal(false);
    });
  });

  describe("each mutation is reported by exactly its policy", () => {
    const cases: [string, string, (s: Stack) => RegisteredResource[], RegExp][] = [
      [
        "a public access flag off",
        "lake-bucket-private",
        (s) => mutate(s.resources, TYPES.publicAccessBlock, "lake-public-access", (p) => (p.blockPublicPolicy = false)),
        /BucketPublicAccessBlock "lake-public-access" of lake bucket cinelake-dev-lake leaves blockPublicPolicy off/,
      ],
      [
        "no public access block",
        "lake-bucket-private",
        (s) => without(s.resources, TYPES.publicAccessBlock, "lake-public-access"),
        /lake bucket cinelake-dev-lake has no BucketPublicAccessBlock: add one with blockPublicAcls, blockPublicPolicy/,
      ],
      [
        "ACLs enabled again",
        "lake-bucket-private",
        (s) =>
          mutate(s.resources, TYPES.ownershipControls, "lake-ownership", (p) => {
            p.rule.objectOwnership = "ObjectWriter";
          }),
        /sets objectOwnership to "ObjectWriter": use BucketOwnerEnforced/,
      ],
      [
        "no default encryption",
        "lake-bucket-encrypted",
        (s) => without(s.resources, TYPES.encryption, "lake-encryption"),
        /lake bucket cinelake-dev-lake has no BucketServerSideEncryptionConfiguration/,
      ],
      [
        "an encryption configuration without rules",
        "lake-bucket-encrypted",
        (s) => mutate(s.resources, TYPES.encryption, "lake-encryption", (p) => (p.rules = [])),
        /sets no default encryption of AES256, aws:kms, aws:kms:dsse \(found no rule\)/,
      ],
      [
        "versioning suspended",
        "lake-bucket-versioned",
        (s) =>
          mutate(s.resources, TYPES.versioning, "lake-versioning", (p) => {
            p.versioningConfiguration.status = "Suspended";
          }),
        /BucketVersioning "lake-versioning" of lake bucket cinelake-dev-lake has status "Suspended": set it to Enabled/,
      ],
      [
        "the TLS deny on the objects only",
        "lake-bucket-tls-only",
        (s) =>
          mutate(s.resources, TYPES.bucketPolicy, "lake-policy", (p) => {
            const document = JSON.parse(String(p.policy));
            document.Statement[0].Resource = [`arn:aws:s3:::${s.bucket}/*`];
            p.policy = JSON.stringify(document);
          }),
        /BucketPolicy "lake-policy" of lake bucket cinelake-dev-lake does not deny plain-HTTP requests to the bucket:/,
      ],
      [
        "a bucket policy without the TLS deny",
        "lake-bucket-tls-only",
        (s) =>
          mutate(s.resources, TYPES.bucketPolicy, "lake-policy", (p) => {
            p.policy = JSON.stringify({ Version: "2012-10-17", Statement: [] });
          }),
        /does not deny plain-HTTP requests to the bucket or its objects: add a Deny for Principal "\*"/,
      ],
      [
        "an s3:* statement",
        "iam-no-wildcards",
        (s) =>
          withStatement(s.resources, ...API_POLICY, {
            Sid: "Everything",
            Effect: "Allow",
            Action: "s3:*",
            Resource: [`arn:aws:s3:::${s.bucket}/Raw/TMDB/JSON/Movies/*`],
          }),
        /RolePolicy "api-ingestor-role-policy": policy statement "Everything" grants "s3:\*": name the actions/,
      ],
      [
        'an Action "*" statement',
        "iam-no-wildcards",
        (s) =>
          withStatement(s.resources, TYPES.managedPolicy, "batch-ingestor-policy", {
            Effect: "Allow",
            Action: ["*"],
            Resource: [`arn:aws:s3:::${s.bucket}/Raw/Local/CSV/Movies/*`],
          }),
        /Policy "batch-ingestor-policy": policy statement #\d+ grants "\*"/,
      ],
      [
        'an object action on Resource "*"',
        "iam-no-wildcards",
        (s) => withStatement(s.resources, ...API_POLICY, { Effect: "Allow", Action: ["s3:GetObject"], Resource: "*" }),
        /grants "s3:GetObject" on Resource "\*": name the resources \(only athena:ListWorkGroups, /,
      ],
      [
        "a whole-bucket grant on the lake",
        "iam-no-wildcards",
        (s) =>
          withStatement(s.resources, ...API_POLICY, {
            Effect: "Allow",
            Action: ["s3:GetObject"],
            Resource: [`arn:aws:s3:::${s.bucket}/*`],
          }),
        /grants access to every object of bucket cinelake-dev-lake \("arn:aws:s3:::cinelake-dev-lake\/\*"\): scope it/,
      ],
      [
        "an AWS managed policy granting s3:*",
        "iam-no-wildcards",
        (s) =>
          mutate(s.resources, TYPES.rolePolicyAttachment, "batch-ingestor-attach", (p) => {
            p.policyArn = "arn:aws:iam::aws:policy/AmazonS3FullAccess";
          }),
        /RolePolicyAttachment "batch-ingestor-attach" attaches the AWS managed policy AmazonS3FullAccess/,
      ],
      [
        "a statement on another stack's bucket",
        "iam-own-bucket-only",
        (s) =>
          withStatement(s.resources, ...API_POLICY, {
            Sid: "Peek",
            Effect: "Allow",
            Action: ["s3:GetObject"],
            Resource: [`arn:aws:s3:::${alice.bucket}/Raw/TMDB/JSON/Movies/*`],
          }),
        /RolePolicy "api-ingestor-role-policy": policy statement "Peek" grants s3:GetObject on arn:aws:s3:::cinelake-alice-lake\/Raw\/TMDB\/JSON\/Movies\/\*, outside this stack's lake bucket \(cinelake-dev-lake\)/,
      ],
      [
        "a TMDB_TOKEN in the Lambda's environment",
        "lambda-env-no-secrets",
        (s) => mutate(s.resources, ...LAMBDA, setEnv("TMDB_TOKEN", "preview-placeholder-secret")),
        /Function "api-ingestor-fn": environment variable TMDB_TOKEN looks like a secret \(its name says TOKEN\); store it in Secrets Manager/,
      ],
      [
        "AWS_SECRET_ACCESS_KEY in the Lambda's environment",
        "lambda-env-no-secrets",
        (s) =>
          mutate(s.resources, ...LAMBDA, setEnv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")),
        /environment variable AWS_SECRET_ACCESS_KEY looks like a secret \(it is a 40-character random-looking string/,
      ],
      [
        "a JWT under an innocent name",
        "lambda-env-no-secrets",
        (s) =>
          mutate(s.resources, ...LAMBDA, setEnv("SETTINGS", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl")),
        /environment variable SETTINGS looks like a secret \(it is shaped like a JWT\)/,
      ],
    ];

    for (const [title, policy, build, message] of cases) {
      it(`${title}: ${policy}`, () => {
        const violations = runPolicies(build(dev), { stackOutputs: dev.outputs });
        expect(violations.map((violation) => violation.policy)).to.deep.equal([policy]);
        const [violation] = violations as [PolicyViolation];
        expect(violation.message).to.match(message);
        expect(violation.enforcementLevel).to.equal("mandatory");
        expect(violation.resource, "names the resource in violation").to.match(/^urn:pulumi:dev::cinelake::/);
        expect(violation.resourceType).to.be.a("string");
      });
    }

    it("a secret stack output: stack-outputs-no-secrets, naming the output but never its value", () => {
      const token = "eyJhbGciOiJIUzI1NiJ9.eyJhdWQiOiJ0bWRiIn0.c2VjcmV0LXNpZ25hdHVyZQ";
      const violations = runPolicies(dev.resources, { stackOutputs: { ...dev.outputs, tmdbToken: token } });
      expect(violations.map((violation) => violation.policy)).to.deep.equal(["stack-outputs-no-secrets"]);
      expect(violations[0]!.message).to.match(
        /^stack output tmdbToken looks like a secret \(it is shaped like a JWT\)/,
      );
      expect(violations[0]!.resourceType).to.equal(TYPES.stack);
      expect(violations[0]!.message).not.to.include(token);
    });

    it("never prints a secret's value", () => {
      const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
      const violations = runPolicies(mutate(dev.resources, ...LAMBDA, setEnv("TMDB_TOKEN", secret)));
      expect(violations).to.have.length(1);
      expect(JSON.stringify(violations)).not.to.include(secret);
    });

    it("covers every policy of the pack with a mutation", () => {
      const covered = new Set([...cases.map(([, policy]) => policy), "stack-outputs-no-secrets"]);
      expect([...covered].sort()).to.deep.equal(CINELAKE_POLICIES.map((policy) => policy.name).sort());
    });
  });

  describe("what stays allowed", () => {
    it("SSE-KMS with a customer key", () => {
      const resources = mutate(dev.resources, TYPES.encryption, "lake-encryption", (p) => {
        p.rules = [
          {
            applyServerSideEncryptionByDefault: {
              sseAlgorithm: "aws:kms",
              kmsMasterKeyId: "arn:aws:kms:us-east-1:1:key/k",
            },
            bucketKeyEnabled: true,
          },
        ];
      });
      expect(runPolicies(resources, { stackOutputs: dev.outputs })).to.deep.equal([]);
    });

    it('exactly the listed actions on Resource "*", and nothing else on it', () => {
      const listed = withStatement(dev.resources, ...API_POLICY, {
        Effect: "Allow",
        Action: ["athena:ListWorkGroups", "athena:ListDataCatalogs", "ecr:GetAuthorizationToken"],
        Resource: "*",
      });
      expect(runPolicies(listed)).to.deep.equal([]);
      const mixed = withStatement(dev.resources, ...API_POLICY, {
        Effect: "Allow",
        Action: ["athena:ListWorkGroups", "athena:GetWorkGroup"],
        Resource: "*",
      });
      const [violation, ...rest] = runPolicies(mixed);
      expect(rest).to.deep.equal([]);
      expect(violation!.message).to.match(/grants "athena:GetWorkGroup" on Resource "\*"/);
      expect(violation!.message).not.to.match(/grants "athena:ListWorkGroups"/);
      expect(Object.keys(RESOURCE_STAR_ACTIONS)).to.include.members([
        "athena:ListWorkGroups",
        "athena:ListDataCatalogs",
        "ecr:GetAuthorizationToken",
      ]);
    });

    it("s3:* in a Deny (the TLS-only statement itself) and statements on other stacks' buckets that deny", () => {
      const resources = withStatement(dev.resources, ...API_POLICY, {
        Effect: "Deny",
        Action: "s3:*",
        Resource: [`arn:aws:s3:::${alice.bucket}`, `arn:aws:s3:::${alice.bucket}/*`],
      });
      expect(runPolicies(resources)).to.deep.equal([]);
    });

    it("a pointer to a secret in the environment (TMDB_SECRET_ID holds an ARN), URLs and plain settings", () => {
      const variables = plain(dev.resources.find((r) => r.type === TYPES.lambdaFunction)!.inputs) as Props;
      expect(variables.environment.variables.TMDB_SECRET_ID).to.match(/^arn:aws:secretsmanager:/);
      for (const [name, value] of [
        ["TMDB_SECRET_ID", "arn:aws:secretsmanager:us-east-1:123456789012:secret:cinelake-dev-tmdb-token-AbCdEf"],
        ["TMDB_TOKEN_ARN", "arn:aws:secretsmanager:us-east-1:123456789012:secret:x"],
        ["TMDB_BASE_URL", "https://api.themoviedb.org/3"],
        ["S3_KEY", "Raw/Local/CSV/Movies/2022/05/02/movies.csv"],
        ["OUTPUT_PREFIX", "Trusted/TMDB/Parquet/Movies/dt=2024-01-31/"],
        ["LAKE_BUCKET", "cinelake-alice-123456789012-lake"],
        ["dockerLoginCommand", "aws ecr get-login-password --region us-east-1 | docker login --password-stdin x"],
        ["SELECTION_GENRES", "Drama,Comedy,Science-Fiction"],
      ])
        expect(secretReason(name!, value), name).to.equal(undefined);
    });
  });

  describe("secret shapes", () => {
    it("splits names the way outputs and variables are written", () => {
      expect(nameWords("tmdbToken")).to.deep.equal(["TMDB", "TOKEN"]);
      expect(nameWords("AWS_SECRET_ACCESS_KEY")).to.deep.equal(["AWS", "SECRET", "ACCESS", "KEY"]);
      expect(nameWords("apiKEYValue")).to.deep.equal(["API", "KEY", "VALUE"]);
    });

    it("recognises secrets by name or by value", () => {
      expect(secretReason("DB_PASSWORD", "hunter2")).to.equal("its name says PASSWORD");
      expect(secretReason("stripeApiKey", "x")).to.equal("its name says API_KEY");
      expect(secretReason("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")).to.equal(
        "it is shaped like an AWS access key id",
      );
      expect(secretValue("-----BEGIN RSA PRIVATE KEY-----\nMIIE")).to.equal("it holds a PEM private key");
      expect(secretValue("https://alice:s3cret@example.org/db")).to.equal("it is a URL with a password in it");
      expect(secretValue("0123456789abcdef0123456789abcdef")).to.match(/32-character hex string/);
      expect(secretValue("ghp_" + "a1B2c3D4e5".repeat(3))).to.equal("it starts like a well-known access token");
    });
  });

  describe("the adapter", () => {
    it("reports stack-outputs-no-secrets not applicable when no outputs are given (the mocks register no stack)", () => {
      const evaluation = evaluatePolicies(dev.resources);
      const verdict = evaluation.verdicts.find((v) => v.policy === "stack-outputs-no-secrets")!;
      expect(verdict.notApplicable).to.match(/stack resource .* is not among the resources/);
      expect(evaluation.resources).to.equal(dev.resources.length);
      expect(evaluation.violations).to.deep.equal([]);
    });

    it("in a preview with outputs not known yet, reports nothing rather than guess", () => {
      const lakeTypes = [TYPES.bucket, TYPES.publicAccessBlock, TYPES.versioning, TYPES.bucketPolicy] as string[];
      // The companions are being created: no outputs yet, only their dependency on the bucket.
      const resources = toPolicyResources(dev.resources).map((r) =>
        lakeTypes.slice(1).includes(r.type) ? { ...r, props: {} } : r,
      );
      const bucket = resources.find((r) => r.type === TYPES.bucket)!;
      for (const r of resources) if (lakeTypes.slice(1).includes(r.type)) r.propertyDependencies = { bucket: [bucket] };
      const reported: string[] = [];
      const args = {
        resources,
        stackTags: new Map(),
        getConfig: <T extends object>() => ({}) as T,
        notApplicable: (reason?: string): never => {
          throw new Error(`not applicable: ${reason}`);
        },
      };
      for (const policy of CINELAKE_POLICIES.filter((p) => p.name.startsWith("lake-bucket-")))
        if ("validateStack" in policy) policy.validateStack(args, (message) => reported.push(message));
      expect(reported).to.deep.equal([]);
      // The bucket itself not known yet either: not applicable (checked after pulumi up), not a violation.
      const unknownBucket = resources.map((r) => (r === bucket ? { ...r, props: {} } : r));
      expect(() =>
        lakeBucketPrivate.validateStack({ ...args, resources: unknownBucket }, (m) => reported.push(m)),
      ).to.throw(/not applicable: the lake bucket's outputs are not known yet/);
      expect(reported).to.deep.equal([]);
    });

    it("links parents, and finds a companion through its bucket property's dependency when the name is unknown", () => {
      const resources = toPolicyResources(dev.resources);
      const bucket = resources.find((r) => r.type === TYPES.bucket)!;
      expect(bucket.parent?.type).to.equal(TYPES.lakeComponent);
      // A first preview: the bucket's id is not known yet, so the companion's `bucket` is not a name.
      const block = resources.find((r) => r.type === TYPES.publicAccessBlock)!;
      const previewBlock = { ...block, props: { ...block.props, bucket: undefined }, propertyDependencies: {} };
      expect(companionsOf(bucket, [previewBlock], TYPES.publicAccessBlock)).to.deep.equal([]);
      previewBlock.propertyDependencies = { bucket: [bucket] };
      expect(companionsOf(bucket, [previewBlock], TYPES.publicAccessBlock)).to.deep.equal([previewBlock]);
    });
  });

  describe("the entry the CLI runs", () => {
    const entry = readFileSync(resolve(POLICIES_DIR, "index.ts"), "utf8");
    const manifest = JSON.parse(readFileSync(resolve(POLICIES_DIR, "package.json"), "utf8"));

    it("serves exactly the tested policy list, from one PolicyPack", () => {
      expect(entry.match(/new PolicyPack\(/g)).to.have.length(1);
      expect(entry).to.match(/^import \{ CINELAKE_POLICIES \} from "\.\/policies";$/m);
      expect(entry).to.match(/^\s+policies: CINELAKE_POLICIES,$/m);
      // No policy is defined (or filtered) in the entry itself.
      expect(entry).not.to.match(/validateResource|validateStack|CINELAKE_POLICIES\./);
    });

    it("is what the CLI loads: PulumiPolicy.yaml (nodejs) and package.json's main, with a version", () => {
      const project = load(readFileSync(resolve(POLICIES_DIR, "PulumiPolicy.yaml"), "utf8")) as { runtime: string };
      expect(project.runtime).to.equal("nodejs");
      expect(manifest.main).to.equal("index.ts");
      expect(existsSync(resolve(POLICIES_DIR, manifest.main))).to.equal(true);
      // PolicyPack reads the version from package.json in the pack's folder and refuses to start without one.
      expect(manifest.version).to.match(/^\d+\.\d+\.\d+/);
      const name = /PACK_NAME = "([^"]+)"/.exec(entry)?.[1];
      expect(name).to.match(/^[a-zA-Z0-9-_.]{1,100}$/);
    });

    it("has unique, mandatory policies (the SDK refuses the name all)", () => {
      const names = CINELAKE_POLICIES.map((policy) => policy.name);
      expect(new Set(names).size).to.equal(names.length);
      expect(names).not.to.include("all");
      for (const policy of CINELAKE_POLICIES) {
        expect(policy.enforcementLevel, policy.name).to.equal("mandatory");
        expect(policy.description.length, policy.name).to.be.greaterThan(40);
      }
    });
  });
});
