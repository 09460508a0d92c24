/**
 * The lake's secure defaults as Pulumi policies: plain `ResourceValidationPolicy`/`StackValidationPolicy` objects, all
 * mandatory, so `pulumi preview --policy-pack policies` (through policies/index.ts) and `runPolicies` (policies/adapter.ts,
 * used by the tests and `npm run preview`) run exactly the same checks.
 *
 * Why these: DataLakeBucket and components/policy.ts build a private, encrypted, versioned, TLS-only bucket and
 * prefix-scoped roles. The policies hold every later change (an extra statement, a reuser's option, a new component) to
 * the same bar, whoever wrote it. Resource policies see a resource's inputs before it is created or updated, so they
 * block the change itself; stack policies see every resource's outputs at the end of a preview or update, which is the
 * only place a bucket and its separate companion resources (public access block, encryption, ...) meet.
 *
 * Only `import type` from `@pulumi/policy` here: importing this module must not load the policy server (constructing a
 * PolicyPack starts one), and must stay free of `@pulumi/aws` so the pack loads quickly under the CLI's ts-node.
 */
import type {
  PolicyResource,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import {
  isAllow,
  isS3Resource,
  parseDocument,
  s3Arn,
  secretReason,
  statementLabel,
  stringList,
  type IamStatement,
} from "./detect";

/** The type tokens the policies read (strings, not `@pulumi/aws` classes, to keep the pack light). */
export const TYPES = {
  bucket: "aws:s3/bucket:Bucket",
  publicAccessBlock: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
  ownershipControls: "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
  encryption: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  versioning: "aws:s3/bucketVersioning:BucketVersioning",
  bucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  userPolicy: "aws:iam/userPolicy:UserPolicy",
  groupPolicy: "aws:iam/groupPolicy:GroupPolicy",
  managedPolicy: "aws:iam/policy:Policy",
  rolePolicyAttachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  userPolicyAttachment: "aws:iam/userPolicyAttachment:UserPolicyAttachment",
  groupPolicyAttachment: "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
  policyAttachment: "aws:iam/policyAttachment:PolicyAttachment",
  lambdaFunction: "aws:lambda/function:Function",
  stack: "pulumi:pulumi:Stack",
  lakeComponent: "cinelake:index:DataLakeBucket",
} as const;

/** The lake bucket's physical name, as components/naming.ts builds it: `cinelake-<stack>[-<suffix>]-lake`. */
export const LAKE_BUCKET_NAME = /^cinelake-[a-z0-9](?:[a-z0-9-]*[a-z0-9])?-lake$/;

/**
 * Actions AWS only authorizes on `Resource: "*"` (they act on no particular resource, so no ARN can name them). An
 * Allow on `*` is accepted when every action in it is listed here; each entry says why it is needed or safe.
 */
export const RESOURCE_STAR_ACTIONS: Readonly<Record<string, string>> = {
  // Listing workgroups and catalogs is how Athena clients (and QuickSight) discover what they may query.
  "athena:ListWorkGroups": "lists workgroup names; no resource-level permissions",
  "athena:ListDataCatalogs": "lists data catalog names; no resource-level permissions",
  "athena:ListEngineVersions": "lists Athena engine versions; no resource-level permissions",
  // `aws ecr get-login-password` (the dockerLoginCommand output): the token is account-wide by design; pulling and
  // pushing are still authorized per repository.
  "ecr:GetAuthorizationToken": "issues the registry login token; account-wide by design",
  // Glue jobs publish their metrics with it; the statement narrows it with a cloudwatch:namespace condition instead.
  "cloudwatch:PutMetricData": "publishes metrics; only a cloudwatch:namespace condition can narrow it",
  // Who am I: needs no permission in practice, but some tools ask for it explicitly.
  "sts:GetCallerIdentity": "returns the caller's own identity",
};

// IAM action names are case-insensitive, so the list is compared in lower case.
const STAR_ACTIONS = new Set(Object.keys(RESOURCE_STAR_ACTIONS).map((action) => action.toLowerCase()));

/**
 * AWS managed policies that grant wildcards (`*`, `s3:*`, every bucket); attaching one defeats the prefix-scoped
 * policies, and the pack cannot read their documents, so they are named here.
 */
export const BROAD_MANAGED_POLICIES = [
  "AdministratorAccess",
  "PowerUserAccess",
  "AmazonS3FullAccess",
  "IAMFullAccess",
  "AWSGlueConsoleFullAccess",
  "AmazonAthenaFullAccess",
  "AWSLambda_FullAccess",
  "SecretsManagerReadWrite",
] as const;

/** The S3 encryption algorithms accepted as encryption at rest: SSE-S3, SSE-KMS and dual-layer SSE-KMS. */
export const SSE_ALGORITHMS = ["AES256", "aws:kms", "aws:kms:dsse"] as const;

// ------------------------------------------------------------------------------------------------------------------
// Reading resources
// ------------------------------------------------------------------------------------------------------------------

const str = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);
const obj = (value: unknown): Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : value === undefined ? [] : [value]);

/** True for the stack's lake bucket: named like one, or created by a DataLakeBucket (which may use another prefix). */
export function isLakeBucket(resource: PolicyResource): boolean {
  if (resource.type !== TYPES.bucket) return false;
  const name = str(resource.props.bucket);
  return (name !== undefined && LAKE_BUCKET_NAME.test(name)) || resource.parent?.type === TYPES.lakeComponent;
}

/** The physical name of a bucket resource (its `bucket` property; the logical name when it has none). */
export function bucketName(resource: PolicyResource): string {
  return str(resource.props.bucket) ?? resource.name;
}

/**
 * The resources of a type configuring a bucket: their `bucket` input depends on the bucket resource (how the engine
 * links them, known even in a first preview) or equals its name (how the state records it).
 */
export function companionsOf(bucket: PolicyResource, resources: PolicyResource[], type: string): PolicyResource[] {
  const name = bucketName(bucket);
  return resources.filter(
    (resource) =>
      resource.type === type &&
      ((resource.propertyDependencies?.bucket ?? []).includes(bucket) || resource.props.bucket === name),
  );
}

/** One IAM document found in a resource, with where it is (for messages). */
interface FoundDocument {
  /** `policy`, `inlinePolicies[0].policy`, ... */
  where: string;
  /** The document as given. */
  document: unknown;
}

/**
 * The permission documents a resource carries (trust policies are left out: they grant `sts:AssumeRole` to a
 * principal and name no resources). Bucket policies are included for the wildcard check only.
 */
function permissionDocuments(type: string, props: Record<string, unknown>): FoundDocument[] {
  switch (type) {
    case TYPES.rolePolicy:
    case TYPES.userPolicy:
    case TYPES.groupPolicy:
    case TYPES.managedPolicy:
    case TYPES.bucketPolicy:
      return props.policy === undefined ? [] : [{ where: "policy", document: props.policy }];
    case TYPES.role:
      return list(props.inlinePolicies)
        .map((inline, index) => ({ where: `inlinePolicies[${index}].policy`, document: obj(inline).policy }))
        .filter((found) => found.document !== undefined);
    default:
      return [];
  }
}

/** The resource types whose documents grant identities permissions (what the bucket-scope policy reads). */
const IDENTITY_POLICY_TYPES: string[] = [
  TYPES.role,
  TYPES.rolePolicy,
  TYPES.userPolicy,
  TYPES.groupPolicy,
  TYPES.managedPolicy,
];
/** The resource types the wildcard policy reads: identity policies, bucket policies and policy attachments. */
const WILDCARD_POLICY_TYPES: string[] = [
  ...IDENTITY_POLICY_TYPES,
  TYPES.bucketPolicy,
  TYPES.rolePolicyAttachment,
  TYPES.userPolicyAttachment,
  TYPES.groupPolicyAttachment,
  TYPES.policyAttachment,
];

const label = (resource: { type: string; name: string }) => `${resource.type.split(":").pop()} "${resource.name}"`;

// ------------------------------------------------------------------------------------------------------------------
// The lake bucket (stack policies)
// ------------------------------------------------------------------------------------------------------------------

/**
 * False for a resource whose outputs are not known yet: a preview of a resource still to be created may hand stack
 * policies empty outputs, and an empty public access block is not a public one. Such resources are checked after
 * `pulumi up` instead of being reported on a guess.
 */
export function hasOutputs(resource: PolicyResource): boolean {
  return Object.keys(resource.props).length > 0;
}

/**
 * Runs a check on each lake bucket of the stack whose outputs are known, handing it the companions (of a type) whose
 * outputs are known too; not applicable when the stack has no lake bucket, or none known yet.
 */
function forEachLakeBucket(
  args: StackValidationArgs,
  check: (bucket: PolicyResource, companions: (type: string) => PolicyResource[]) => void,
): void {
  const buckets = args.resources.filter(isLakeBucket);
  if (buckets.length === 0) args.notApplicable("the stack has no lake bucket");
  const known = buckets.filter(hasOutputs);
  if (known.length === 0) args.notApplicable("the lake bucket's outputs are not known yet (checked after pulumi up)");
  for (const bucket of known) check(bucket, (type) => companionsOf(bucket, args.resources, type));
}

const PUBLIC_ACCESS_FLAGS = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"];

/** The lake bucket blocks every form of public access and disables ACLs. */
export const lakeBucketPrivate: StackValidationPolicy = {
  name: "lake-bucket-private",
  description:
    "The lake bucket has a BucketPublicAccessBlock with all four flags true and BucketOwnershipControls " +
    "BucketOwnerEnforced (ACLs disabled), so neither a policy nor an ACL can ever make an object public.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) =>
    forEachLakeBucket(args, (bucket, companions) => {
      const name = bucketName(bucket);
      const blocks = companions(TYPES.publicAccessBlock);
      if (blocks.length === 0)
        report(
          `lake bucket ${name} has no BucketPublicAccessBlock: add one with ${PUBLIC_ACCESS_FLAGS.join(", ")} all ` +
            "true (DataLakeBucket does)",
          bucket.urn,
        );
      for (const block of blocks.filter(hasOutputs)) {
        const off = PUBLIC_ACCESS_FLAGS.filter((flag) => block.props[flag] !== true);
        if (off.length)
          report(
            `${label(block)} of lake bucket ${name} leaves ${off.join(", ")} off: set ${off.length > 1 ? "them" : "it"} ` +
              "to true so no bucket policy or ACL can make the lake public",
            block.urn,
          );
      }
      const controls = companions(TYPES.ownershipControls);
      if (controls.length === 0)
        report(
          `lake bucket ${name} has no BucketOwnershipControls: add one with objectOwnership BucketOwnerEnforced, ` +
            "which disables ACLs",
          bucket.urn,
        );
      for (const control of controls.filter(hasOutputs)) {
        const ownership = obj(control.props.rule).objectOwnership;
        if (ownership !== "BucketOwnerEnforced")
          report(
            `${label(control)} of lake bucket ${name} sets objectOwnership to ${JSON.stringify(ownership)}: use ` +
              "BucketOwnerEnforced, so ACLs are disabled and the bucket owns every object",
            control.urn,
          );
      }
      const acl = str(bucket.props.acl);
      if (acl !== undefined && acl !== "private")
        report(`lake bucket ${name} has the canned ACL "${acl}": remove it (ACLs stay disabled)`, bucket.urn);
    }),
};

/** The lake bucket encrypts every object at rest by default (SSE-S3 or SSE-KMS). */
export const lakeBucketEncrypted: StackValidationPolicy = {
  name: "lake-bucket-encrypted",
  description:
    "The lake bucket has a BucketServerSideEncryptionConfiguration whose default is SSE-S3 (AES256) or SSE-KMS, " +
    "so every object is encrypted at rest whatever the writer sends.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) =>
    forEachLakeBucket(args, (bucket, companions) => {
      const name = bucketName(bucket);
      const configs = companions(TYPES.encryption);
      if (configs.length === 0)
        report(
          `lake bucket ${name} has no BucketServerSideEncryptionConfiguration: add one with sseAlgorithm AES256 ` +
            "(SSE-S3) or aws:kms (DataLakeBucket's kmsKeyArn)",
          bucket.urn,
        );
      for (const config of configs.filter(hasOutputs)) {
        const algorithms = list(config.props.rules).map(
          (rule) => obj(obj(rule).applyServerSideEncryptionByDefault).sseAlgorithm,
        );
        if (!algorithms.some((algorithm) => (SSE_ALGORITHMS as readonly unknown[]).includes(algorithm)))
          report(
            `${label(config)} of lake bucket ${name} sets no default encryption of ${SSE_ALGORITHMS.join(", ")} ` +
              `(found ${algorithms.length ? algorithms.map((a) => JSON.stringify(a)).join(", ") : "no rule"})`,
            config.urn,
          );
      }
    }),
};

/** The lake bucket keeps object versions, so an overwritten or deleted Raw file can be recovered. */
export const lakeBucketVersioned: StackValidationPolicy = {
  name: "lake-bucket-versioned",
  description:
    "The lake bucket has BucketVersioning with status Enabled: Raw files are the lake's source of truth, and " +
    "versions make an overwrite or a deletion recoverable.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) =>
    forEachLakeBucket(args, (bucket, companions) => {
      const name = bucketName(bucket);
      const versionings = companions(TYPES.versioning);
      if (versionings.length === 0)
        report(`lake bucket ${name} has no BucketVersioning: add one with status Enabled`, bucket.urn);
      for (const versioning of versionings.filter(hasOutputs)) {
        const status = obj(versioning.props.versioningConfiguration).status;
        if (status !== "Enabled")
          report(
            `${label(versioning)} of lake bucket ${name} has status ${JSON.stringify(status)}: set it to Enabled ` +
              "(DataLakeBucket's versioning: true)",
            versioning.urn,
          );
      }
    }),
};

/** True when a statement denies everyone every S3 action unless the request came over TLS. */
function deniesInsecureTransport(statement: IamStatement): boolean {
  if (statement.Effect !== "Deny") return false;
  const principal = statement.Principal;
  const everyone = principal === "*" || (typeof principal === "object" && stringList(obj(principal).AWS).includes("*"));
  if (!everyone) return false;
  if (!stringList(statement.Action).some((action) => action === "*" || action.toLowerCase() === "s3:*")) return false;
  for (const operator of ["Bool", "BoolIfExists"]) {
    for (const [key, value] of Object.entries(obj(obj(statement.Condition)[operator])))
      if (key.toLowerCase() === "aws:securetransport" && list(value).some((v) => v === false || v === "false"))
        return true;
  }
  return false;
}

/** The lake bucket refuses plain-HTTP requests, to the bucket and to its objects. */
export const lakeBucketTlsOnly: StackValidationPolicy = {
  name: "lake-bucket-tls-only",
  description:
    "The lake bucket's policy denies every S3 action to everyone when aws:SecureTransport is false, on the bucket " +
    "and on its objects, so no client can read or write the lake over plain HTTP.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) =>
    forEachLakeBucket(args, (bucket, companions) => {
      const name = bucketName(bucket);
      const policies = companions(TYPES.bucketPolicy);
      const fix =
        'add a Deny for Principal "*", Action "s3:*", Resource [bucket ARN, bucket ARN + "/*"] when ' +
        "aws:SecureTransport is false (components/policy.ts denyInsecureTransportStatement)";
      if (policies.length === 0) report(`lake bucket ${name} has no bucket policy: ${fix}`, bucket.urn);
      for (const policy of policies.filter(hasOutputs)) {
        const parsed = parseDocument(policy.props.policy);
        if ("error" in parsed) {
          report(`${label(policy)} of lake bucket ${name} ${parsed.error}`, policy.urn);
          continue;
        }
        let bucketCovered = false;
        let objectsCovered = false;
        for (const statement of parsed.statements.filter(deniesInsecureTransport)) {
          for (const resource of stringList(statement.Resource)) {
            if (resource === "*") bucketCovered = objectsCovered = true;
            const arn = s3Arn(resource);
            if (arn?.bucket !== name) continue;
            if (arn.key === undefined) bucketCovered = true;
            else if (arn.key === "*") objectsCovered = true;
          }
        }
        const missing = [...(bucketCovered ? [] : ["the bucket"]), ...(objectsCovered ? [] : ["its objects"])];
        if (missing.length)
          report(
            `${label(policy)} of lake bucket ${name} does not deny plain-HTTP requests to ${missing.join(" or ")}: ${fix}`,
            policy.urn,
          );
      }
    }),
};

// ------------------------------------------------------------------------------------------------------------------
// IAM
// ------------------------------------------------------------------------------------------------------------------

/** The wildcard findings of one Allow statement (empty when it is scoped). */
export function wildcardFindings(statement: IamStatement): string[] {
  if (!isAllow(statement)) return [];
  const findings: string[] = [];
  const actions = stringList(statement.Action);
  for (const action of actions)
    if (action === "*" || action.toLowerCase() === "s3:*")
      findings.push(`grants "${action}": name the actions it needs (components/policy.ts READ_ACTIONS, ...)`);
  if (statement.NotAction !== undefined)
    findings.push("uses NotAction in an Allow, which grants every action not listed: name the actions instead");
  if (statement.NotResource !== undefined)
    findings.push("uses NotResource in an Allow, which grants every resource not listed: name the resources instead");
  const resources = stringList(statement.Resource);
  if (resources.includes("*")) {
    const unlisted = actions.filter((action) => !STAR_ACTIONS.has(action.toLowerCase()));
    if (unlisted.length)
      findings.push(
        `grants ${unlisted.map((action) => `"${action}"`).join(", ")} on Resource "*": name the resources (only ` +
          `${Object.keys(RESOURCE_STAR_ACTIONS).join(", ")} may have "*", as AWS accepts nothing else for them)`,
      );
  }
  for (const resource of resources) {
    const arn = s3Arn(resource);
    if (!arn) continue;
    if (/[*?]/.test(arn.bucket))
      findings.push(`grants access to every bucket matching "${resource}": name the stack's own bucket`);
    else if (arn.key !== undefined && arn.key.startsWith("*"))
      findings.push(
        `grants access to every object of bucket ${arn.bucket} ("${resource}"): scope it to the prefixes it ` +
          "reads or writes (components/policy.ts s3PrefixPolicyStatements)",
      );
  }
  return findings;
}

/** No Allow grants `*` or `s3:*`, `*` resources (beyond the few actions that need them) or whole buckets. */
export const iamNoWildcards: ResourceValidationPolicy = {
  name: "iam-no-wildcards",
  description:
    'No Allow statement of a role, role/user/group policy, managed policy or bucket policy grants "*" or "s3:*", ' +
    'NotAction/NotResource, Resource "*" (except the listed actions AWS only authorizes on "*"), every bucket, or ' +
    "every object of a bucket (bucket/*); no broad AWS managed policy is attached.",
  enforcementLevel: "mandatory",
  validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
    if (!WILDCARD_POLICY_TYPES.includes(args.type)) args.notApplicable(`not an IAM policy holder (${args.type})`);
    const subject = label(args);
    for (const { where, document } of permissionDocuments(args.type, args.props)) {
      const parsed = parseDocument(document);
      if ("error" in parsed) {
        report(`${subject}: ${where} ${parsed.error}, so it cannot be checked`);
        continue;
      }
      parsed.statements.forEach((statement, index) => {
        for (const finding of wildcardFindings(statement))
          report(`${subject}: ${where} ${statementLabel(statement, index)} ${finding}`);
      });
    }
    const attached = [
      ...stringList(args.props.policyArn),
      ...(args.type === TYPES.role ? stringList(args.props.managedPolicyArns) : []),
    ];
    for (const arn of attached) {
      const match = /^arn:aws[a-z-]*:iam::aws:policy\/(?:.*\/)?([^/]+)$/.exec(arn);
      if (match && (BROAD_MANAGED_POLICIES as readonly string[]).includes(match[1]!))
        report(
          `${subject} attaches the AWS managed policy ${match[1]}, which grants wildcards: attach a policy scoped to ` +
            "the lake's prefixes instead",
        );
    }
  },
};

/** Every S3 resource an identity policy grants is in the stack's own lake bucket. */
export const iamOwnBucketOnly: StackValidationPolicy = {
  name: "iam-own-bucket-only",
  description:
    "Every S3 resource in an Allow statement of a role, role/user/group policy or managed policy is in this stack's " +
    "own lake bucket: no student's or environment's role reaches another stack's bucket, or any other bucket.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const own = new Set(args.resources.filter(isLakeBucket).map(bucketName));
    const ownLabel = own.size ? [...own].join(", ") : "none: the stack has no lake bucket";
    for (const resource of args.resources) {
      if (!IDENTITY_POLICY_TYPES.includes(resource.type)) continue;
      for (const { where, document } of permissionDocuments(resource.type, resource.props)) {
        const parsed = parseDocument(document);
        // An unreadable document is iam-no-wildcards' finding; reporting it twice would only add noise.
        if ("error" in parsed) continue;
        parsed.statements.forEach((statement, index) => {
          if (!isAllow(statement)) return;
          for (const arn of stringList(statement.Resource)) {
            if (!isS3Resource(arn)) continue;
            const bucket = s3Arn(arn)?.bucket;
            if (bucket !== undefined && own.has(bucket)) continue;
            report(
              `${label(resource)}: ${where} ${statementLabel(statement, index)} grants ` +
                `${stringList(statement.Action).join(", ") || "actions"} on ${arn}, outside this stack's lake bucket ` +
                `(${ownLabel}): a stack's roles reach only its own bucket`,
              resource.urn,
            );
          }
        });
      }
    }
  },
};

// ------------------------------------------------------------------------------------------------------------------
// Secrets
// ------------------------------------------------------------------------------------------------------------------

/** No Lambda environment variable holds a secret. */
export const lambdaEnvNoSecrets: ResourceValidationPolicy = {
  name: "lambda-env-no-secrets",
  description:
    "No Lambda function's environment.variables holds a secret (a token, key or password by name, or a JWT, access " +
    "key, private key or random-looking string by value): they are plain text to anyone who can read the " +
    "function's configuration. Keep the secret in Secrets Manager and pass its ARN, as the ApiIngestor does.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (args.type !== TYPES.lambdaFunction) args.notApplicable(`not a Lambda function (${args.type})`);
    const variables = obj(obj(args.props.environment).variables);
    for (const [name, value] of Object.entries(variables)) {
      const reason = secretReason(name, value);
      if (reason)
        report(
          `${label(args)}: environment variable ${name} looks like a secret (${reason}); store it in Secrets ` +
            "Manager and pass the secret's ARN (e.g. TMDB_SECRET_ID) for the handler to read",
        );
    }
  },
};

/** Every leaf of an output value with its path (`zones.raw`) and the name it goes by (the nearest key). */
function outputLeaves(
  value: unknown,
  path: string,
  name: string,
  into: { path: string; name: string; value: unknown }[],
) {
  if (Array.isArray(value)) value.forEach((item, index) => outputLeaves(item, `${path}[${index}]`, name, into));
  else if (typeof value === "object" && value !== null)
    for (const [key, item] of Object.entries(value)) outputLeaves(item, path ? `${path}.${key}` : key, key, into);
  else into.push({ path, name, value });
  return into;
}

/** No stack output holds a secret. */
export const stackOutputsNoSecrets: StackValidationPolicy = {
  name: "stack-outputs-no-secrets",
  description:
    "No stack output holds a secret (by name or by shape, as for Lambda variables): outputs are printed by " +
    "`pulumi up`, read by `pulumi stack output` and by every StackReference, so a token belongs in Secrets Manager.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    // The engine passes the stack resource with its outputs (the program's exports) once they are known. The policy
    // SDK hands policies plain values, secret or not: an output wrapped in pulumi.secret is reported too, because
    // `pulumi stack output --show-secrets` and StackReference.getOutput still give it away.
    const stacks = args.resources.filter((resource) => resource.type === TYPES.stack);
    if (stacks.length === 0) args.notApplicable("the stack resource (and so its outputs) is not among the resources");
    for (const stack of stacks) {
      for (const leaf of outputLeaves(stack.props, "", "", [])) {
        const reason = secretReason(leaf.name, leaf.value);
        if (reason)
          report(
            `stack output ${leaf.path} looks like a secret (${reason}): do not export it; export the Secrets ` +
              "Manager secret's ARN or name instead",
            stack.urn,
          );
      }
    }
  },
};

/** Every policy of the pack, in the order they are reported. policies/index.ts serves exactly this list. */
export const CINELAKE_POLICIES: (ResourceValidationPolicy | StackValidationPolicy)[] = [
  lakeBucketPrivate,
  lakeBucketEncrypted,
  lakeBucketVersioned,
  lakeBucketTlsOnly,
  iamNoWildcards,
  iamOwnBucketOnly,
  lambdaEnvNoSecrets,
  stackOutputsNoSecrets,
];
