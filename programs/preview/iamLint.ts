/**
 * The IAM lint of the preview: finds every IAM policy document the program registers (trust policies, identity
 * policies, the bucket policy and any other resource policy) and has parliament, an IAM linter someone else maintains,
 * check each one. Also says in plain words what each document grants, for the preview to print.
 */
import { CFN_LINT_INSTALL } from "./cloudformation";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import type { PolicyDocument, PolicyStatement } from "../../components/policy";
import { plain, type RegisteredResource } from "./mocks";

/** How AWS uses a document: attached to a principal, attached to a resource (with `Principal`), or a role's trust. */
export type IamDocumentKind = "identity" | "resource" | "trust";

/** One IAM policy document found among the registered resources. */
export interface IamDocument {
  /** `<type> <logical name>[ <property>]`, unique within a stack. */
  id: string;
  /** The registering resource's type token. */
  resourceType: string;
  /** The registering resource's logical name. */
  resourceName: string;
  /** The input holding the document, e.g. `policy` or `assumeRolePolicy`. */
  property: string;
  /** How AWS uses it; `undefined` for a document on a type this lint does not know (reported as a finding). */
  kind: IamDocumentKind | undefined;
  /** The physical names of the roles it applies to (identity documents attached to roles, a role's trust policy). */
  roles: string[];
  /** The document itself. */
  policy: PolicyDocument;
}

/** The types whose `policy` input is a resource policy (who may use that resource). */
const RESOURCE_POLICY_TYPES = [
  "aws:s3/bucketPolicy:BucketPolicy",
  "aws:sqs/queue:Queue",
  "aws:sqs/queuePolicy:QueuePolicy",
  "aws:sns/topic:Topic",
  "aws:sns/topicPolicy:TopicPolicy",
  "aws:secretsmanager/secretPolicy:SecretPolicy",
  "aws:kms/key:Key",
  "aws:ecr/repositoryPolicy:RepositoryPolicy",
];

/** Where IAM documents live, by resource type and input, and how AWS uses them. */
const DOCUMENT_INPUTS: { type: string; property: string; kind: IamDocumentKind }[] = [
  { type: "aws:iam/role:Role", property: "assumeRolePolicy", kind: "trust" },
  ...["aws:iam/rolePolicy:RolePolicy", "aws:iam/policy:Policy", "aws:iam/userPolicy:UserPolicy"].map((type) => ({
    type,
    property: "policy",
    kind: "identity" as const,
  })),
  ...RESOURCE_POLICY_TYPES.map((type) => ({ type, property: "policy", kind: "resource" as const })),
];

/** A recorded input as a policy document, when it is one (a JSON string or object with a `Statement` list). */
function asPolicyDocument(value: unknown): PolicyDocument | undefined {
  let parsed = value;
  if (typeof value === "string") {
    try {
      parsed = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  const statement = (parsed as { Statement?: unknown } | null)?.Statement;
  return typeof parsed === "object" && parsed !== null && Array.isArray(statement)
    ? (parsed as PolicyDocument)
    : undefined;
}

/**
 * Every IAM policy document among the registered resources: each top-level input that is a policy document (so a
 * document on a type missing from the table above is still found, with `kind` undefined), with the roles it applies
 * to (a managed policy's through its RolePolicyAttachments).
 */
export function iamDocuments(resources: RegisteredResource[]): IamDocument[] {
  const inputs = (resource: RegisteredResource) => plain(resource.inputs) as Record<string, unknown>;
  const attachedRoles = (policyArn: unknown) =>
    resources
      .filter((r) => r.type === "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
      .filter((r) => inputs(r).policyArn === policyArn)
      .map((r) => String(inputs(r).role));
  const documents: IamDocument[] = [];
  for (const resource of resources) {
    for (const [property, value] of Object.entries(inputs(resource))) {
      const policy = asPolicyDocument(value);
      if (!policy) continue;
      const known = DOCUMENT_INPUTS.find((entry) => entry.type === resource.type && entry.property === property);
      let roles: string[] = [];
      if (resource.type === "aws:iam/role:Role") roles = [String(resource.state.name)];
      else if (resource.type === "aws:iam/rolePolicy:RolePolicy") roles = [String(inputs(resource).role)];
      else if (resource.type === "aws:iam/policy:Policy") roles = attachedRoles(resource.state.arn);
      documents.push({
        id: `${resource.type} ${resource.name}${property === "policy" ? "" : ` ${property}`}`,
        resourceType: resource.type,
        resourceName: resource.name,
        property,
        kind: known?.kind,
        roles,
        policy,
      });
    }
  }
  return documents;
}

/** One parliament finding (parliament's own fields). */
export interface IamFinding {
  /** Parliament's issue code, e.g. `UNKNOWN_ACTION`, `RESOURCE_MISMATCH`. */
  issue: string;
  /** Its title. */
  title: string;
  /** `INFO` to `CRITICAL`. */
  severity: string;
  /** What the issue means. */
  description: string;
  /** What exactly was found. */
  detail: unknown;
  /** Where in the document. */
  location: unknown;
}

/** A finding parliament reports that is not a problem, with the reason; the only place such exceptions live. */
export interface KnownFalsePositive {
  /** The parliament issue code. */
  issue: string;
  /** The document kind it applies to. */
  kind: IamDocumentKind;
  /** Matched against the finding's detail (as JSON). */
  detail: RegExp;
  /** Why it is not a problem. */
  reason: string;
}

/** Every finding accepted as a false positive. Nothing else is tolerated. */
export const KNOWN_FALSE_POSITIVES: KnownFalsePositive[] = [
  {
    issue: "MALFORMED",
    kind: "trust",
    detail: /neither Resource nor NotResource/,
    reason:
      "A role's trust policy has no Resource element by AWS's grammar (the role is the resource); parliament " +
      "lints it as an identity policy (duo-labs/parliament issue #229).",
  },
];

/** The lint of one document. */
export interface IamLintResult {
  /** The document. */
  document: IamDocument;
  /** Parliament's findings that are not known false positives (plus one when the document's kind is unknown). */
  findings: IamFinding[];
  /** Parliament's findings accepted as known false positives, each with its reason. */
  accepted: { finding: IamFinding; reason: string }[];
}

/** The Python entry that runs parliament. */
const PARLIAMENT_ENTRY = join(__dirname, "iam_lint.py");

/**
 * Runs parliament on every IAM document of the registered resources (one Python process for all) and returns its
 * findings per document, with the known false positives set apart.
 */
export function lintIamPolicies(resources: RegisteredResource[]): IamLintResult[] {
  const documents = iamDocuments(resources);
  let output: string;
  try {
    output = execFileSync("python3", [PARLIAMENT_ENTRY], {
      input: JSON.stringify(documents.map((document) => ({ id: document.id, policy: document.policy }))),
      encoding: "utf8",
      stdio: ["pipe", "pipe", "pipe"],
    });
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? (error as Error).message);
    if (/No module named 'parliament'/.test(stderr))
      throw new Error(`parliament is not installed: run ${CFN_LINT_INSTALL}`);
    throw new Error(`parliament failed: ${stderr.trim().split("\n").slice(-3).join(" ")}`);
  }
  const byId = new Map((JSON.parse(output) as { id: string; findings: IamFinding[] }[]).map((r) => [r.id, r.findings]));
  return documents.map((document) => {
    const result: IamLintResult = { document, findings: [], accepted: [] };
    if (document.kind === undefined)
      result.findings.push({
        issue: "UNKNOWN_DOCUMENT_KIND",
        title: "Policy document on a resource type the lint does not know",
        severity: "MEDIUM",
        description: "Add the type and input to DOCUMENT_INPUTS in programs/preview/iamLint.ts with its kind.",
        detail: `${document.resourceType}.${document.property}`,
        location: {},
      });
    for (const finding of byId.get(document.id) ?? []) {
      const known = KNOWN_FALSE_POSITIVES.find(
        (fp) =>
          fp.issue === finding.issue && fp.kind === document.kind && fp.detail.test(JSON.stringify(finding.detail)),
      );
      if (known) result.accepted.push({ finding, reason: known.reason });
      else result.findings.push(finding);
    }
    return result;
  });
}

const list = (value: string | string[] | undefined): string[] => (value === undefined ? [] : [value].flat());

/** Plain words for the S3 actions the components grant (anything else is named as it is). */
const S3_VERBS: Record<string, string> = {
  "s3:GetObject": "read",
  "s3:PutObject": "write",
  "s3:DeleteObject": "delete",
  "s3:AbortMultipartUpload": "abort uploads to",
  "s3:ListMultipartUploadParts": "list upload parts of",
  "s3:GetObjectTagging": "read the tags of",
  "s3:PutObjectTagging": "tag",
};

/** A resource ARN in plain words: S3 objects as their keys (relative to the bucket), other ARNs as they are. */
function describeResource(resource: string): string {
  const s3 = /^arn:aws[a-z-]*:s3:::([^/]+)(?:\/(.*))?$/.exec(resource);
  if (!s3) return resource;
  if (s3[2] === undefined) return `the bucket ${s3[1]}`;
  return s3[2] === "*" ? "every object" : s3[2];
}

/** A statement's conditions in plain words, e.g. `when s3:prefix is like Raw/*`. */
function describeConditions(condition: PolicyStatement["Condition"]): string {
  if (!condition) return "";
  const parts = Object.entries(condition).flatMap(([operator, keys]) =>
    Object.entries(keys).map(([key, value]) => `${key} ${operator} ${[value].flat().join(" or ")}`),
  );
  return ` (only when ${parts.join(" and ")})`;
}

/**
 * What a policy document grants or denies, one line per statement and verb, in plain words: e.g.
 * `read Raw/Local/CSV/Movies/*`, `list the bucket's key names`, `assume the role: glue.amazonaws.com`.
 */
export function describeGrants(document: PolicyDocument): string[] {
  const lines: string[] = [];
  for (const statement of document.Statement) {
    const deny = statement.Effect === "Deny" ? "deny: " : "";
    const when = describeConditions(statement.Condition);
    const actions = list(statement.Action);
    const resources = list(statement.Resource);
    if (actions.includes("sts:AssumeRole") && resources.length === 0) {
      const principals = statement.Principal === "*" ? ["anyone"] : Object.values(statement.Principal ?? {}).flat();
      lines.push(`${deny}assume the role: ${principals.join(", ")}${when}`);
      continue;
    }
    const bucketOnly = resources.every((r) => /^arn:aws[a-z-]*:s3:::[^/]+$/.test(r));
    const who =
      statement.Principal && statement.Principal !== "*" ? ` (for ${JSON.stringify(statement.Principal)})` : "";
    const other: string[] = [];
    const byVerb = new Map<string, string[]>();
    for (const action of actions) {
      if (action === "s3:ListBucket" && bucketOnly) lines.push(`${deny}list the bucket's key names${when}${who}`);
      else if (action === "s3:ListBucketMultipartUploads" && bucketOnly)
        lines.push(`${deny}list the bucket's unfinished uploads${when}${who}`);
      else if (S3_VERBS[action]) byVerb.set(S3_VERBS[action], [...(byVerb.get(S3_VERBS[action]) ?? []), action]);
      else other.push(action);
    }
    const where = resources.map(describeResource).join(", ");
    for (const verb of byVerb.keys()) lines.push(`${deny}${verb} ${where}${when}${who}`);
    if (other.length) lines.push(`${deny}${other.join(", ")} on ${where || "*"}${when}${who}`);
  }
  return lines;
}
