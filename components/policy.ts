/**
 * IAM policy documents scoped to the lake's prefixes, built by pure functions (so tests parse and check them) and
 * shared by every component that grants access to the bucket: each part gets exactly the prefixes it reads or writes.
 */
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "./naming";

/** One IAM policy statement, as AWS's JSON spells it. */
export interface PolicyStatement {
  /** A statement id: letters and digits only. */
  Sid?: string;
  /** Allow or Deny. */
  Effect: "Allow" | "Deny";
  /** Who the statement applies to (resource policies only). */
  Principal?: "*" | Record<string, string | string[]>;
  /** The actions, e.g. `s3:GetObject`. */
  Action: string | string[];
  /** The resources (ARNs, possibly ending in `*`); absent only in trust policies. */
  Resource?: string | string[];
  /** Conditions, e.g. `{ StringLike: { "s3:prefix": ["Raw/*"] } }`. */
  Condition?: Record<string, Record<string, string | string[] | boolean>>;
}

/**
 * An extra IAM statement a reuser adds to a component's policy (`Sid`, `Effect`, `Action`, `Resource`, ...), in the
 * form of {@link PolicyStatement}. Typed as a plain object so Pulumi's schema inference (and so every Pulumi language)
 * can pass one; IAM checks it when the policy is applied.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the schema's "object of any values"
export type PolicyStatementArg = Record<string, any>;

/** A reuser's extra statements as policy statements: the one place their loose schema type meets the strict one. */
export function extraStatements(extras: readonly PolicyStatementArg[] | undefined): PolicyStatement[] {
  return [...(extras ?? [])] as PolicyStatement[];
}

/** A whole IAM policy document. */
export interface PolicyDocument {
  /** Always `2012-10-17`. */
  Version: "2012-10-17";
  /** The statements. */
  Statement: PolicyStatement[];
}

/**
 * Which prefixes of the bucket a principal may touch; each prefix ends in `/` (build them with `lakePaths`). Listing
 * is not scoped by prefix: see {@link LIST_ACTIONS}.
 */
export interface PrefixAccess {
  /** Prefixes whose objects may be read (GetObject, which also covers HeadObject). */
  read?: string[];
  /** Prefixes whose objects may be written, including multipart uploads and aborting them. */
  write?: string[];
  /** Prefixes whose objects may be deleted (e.g. a checkpoint replaced, a failed output cleaned up). */
  delete?: string[];
  /** The bucket's KMS key, when it has one: readers need Decrypt, writers GenerateDataKey and Decrypt. */
  kmsKeyArn?: string;
}

/** The object actions granted on readable prefixes. */
export const READ_ACTIONS = ["s3:GetObject"] as const;
/** The object actions granted on writable prefixes: single-part and multipart uploads, and cleaning up the latter. */
export const WRITE_ACTIONS = ["s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"] as const;
/**
 * The bucket action writers get so they can find and abort their own unfinished multipart uploads (S3 offers no prefix
 * condition for it; it reveals in-progress upload keys only).
 */
export const WRITER_BUCKET_ACTIONS = ["s3:ListBucketMultipartUploads"] as const;
/**
 * The bucket action every principal with a prefix gets, without an `s3:prefix` condition. S3 answers 404 for a missing
 * key only to a caller allowed `s3:ListBucket` for that request, and a GetObject/HeadObject carries no `s3:prefix`: a
 * conditioned grant turns every "not there yet" (a first checkpoint, an output a job checks before writing) into 403
 * AccessDenied. HeadBucket is authorized as it too. It reveals key names only, never contents (docs/deploy-iam.md).
 */
export const LIST_ACTIONS = ["s3:ListBucket"] as const;
/** The object actions granted on deletable prefixes. */
export const DELETE_ACTIONS = ["s3:DeleteObject"] as const;

/**
 * Checks a prefix handed to a policy builder: relative to the bucket, ending in `/`, without wildcards or `..` — and
 * never empty, because an empty prefix would grant the whole bucket (grant that on purpose with an extra statement).
 */
export function checkPolicyPrefix(prefix: string): string {
  const fix = "build prefixes with lake/paths.ts (e.g. datasetPrefix(DATASETS.rawMoviesCsv))";
  if (prefix === "") throw new ConfigError("prefix", "is empty and would grant the whole bucket", fix);
  if (prefix.startsWith("/")) throw new ConfigError("prefix", `"${prefix}" starts with "/"`, fix);
  if (!prefix.endsWith("/")) throw new ConfigError("prefix", `"${prefix}" does not end with "/"`, fix);
  if (/[*?]/.test(prefix)) throw new ConfigError("prefix", `"${prefix}" contains a wildcard`, fix);
  if (prefix.split("/").some((part) => part === "." || part === ".."))
    throw new ConfigError("prefix", `"${prefix}" contains "." or ".." parts`, fix);
  return prefix;
}

const unique = (values: string[]) => [...new Set(values)];

/**
 * The statements that let a principal read, write and delete exactly the given prefixes of one bucket and list its
 * key names, e.g. `s3PrefixPolicyStatements(bucketArn, { read: ["Raw/Local/CSV/"], write: ["Raw/TMDB/JSON/"] })`.
 */
export function s3PrefixPolicyStatements(bucketArn: string, access: PrefixAccess): PolicyStatement[] {
  if (!/^arn:aws[a-z-]*:s3:::[a-z0-9.-]+$/.test(bucketArn))
    throw new ConfigError("bucketArn", `"${bucketArn}" is not an S3 bucket ARN`, "pass the DataLakeBucket's bucketArn");
  const read = unique((access.read ?? []).map(checkPolicyPrefix));
  const write = unique((access.write ?? []).map(checkPolicyPrefix));
  const del = unique((access.delete ?? []).map(checkPolicyPrefix));
  const objects = (prefixes: string[]) => prefixes.map((prefix) => `${bucketArn}/${prefix}*`);
  const statements: PolicyStatement[] = [];
  if (read.length)
    statements.push({ Sid: "ReadPrefixes", Effect: "Allow", Action: [...READ_ACTIONS], Resource: objects(read) });
  if (write.length)
    statements.push({ Sid: "WritePrefixes", Effect: "Allow", Action: [...WRITE_ACTIONS], Resource: objects(write) });
  if (del.length)
    statements.push({ Sid: "DeletePrefixes", Effect: "Allow", Action: [...DELETE_ACTIONS], Resource: objects(del) });
  if (read.length || write.length || del.length)
    statements.push({ Sid: "ListBucket", Effect: "Allow", Action: [...LIST_ACTIONS], Resource: [bucketArn] });
  if (write.length)
    statements.push({
      Sid: "FindOwnUploads",
      Effect: "Allow",
      Action: [...WRITER_BUCKET_ACTIONS],
      Resource: [bucketArn],
    });
  if (access.kmsKeyArn && (read.length || write.length))
    statements.push({
      Sid: "UseLakeKey",
      Effect: "Allow",
      Action: write.length ? ["kms:Decrypt", "kms:GenerateDataKey"] : ["kms:Decrypt"],
      Resource: [access.kmsKeyArn],
    });
  return statements;
}

/** A statement that denies every request to the bucket not made over TLS (for the bucket policy). */
export function denyInsecureTransportStatement(bucketArn: string): PolicyStatement {
  return {
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Principal: "*",
    Action: "s3:*",
    Resource: [bucketArn, `${bucketArn}/*`],
    Condition: { Bool: { "aws:SecureTransport": false } },
  };
}

/** Lets a principal write its own CloudWatch log group (not create others). */
export function logsStatement(logGroupArn: string): PolicyStatement {
  return {
    Sid: "WriteOwnLogs",
    Effect: "Allow",
    Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
    Resource: [`${logGroupArn}:*`],
  };
}

/** Lets a principal read one Secrets Manager secret's value. */
export function secretReadStatement(secretArn: string): PolicyStatement {
  return {
    Sid: "ReadOwnSecret",
    Effect: "Allow",
    Action: ["secretsmanager:GetSecretValue"],
    Resource: [secretArn],
  };
}

/** Lets a principal send messages to one SQS queue (e.g. a dead-letter queue). */
export function sqsSendStatement(queueArn: string): PolicyStatement {
  return { Sid: "SendToQueue", Effect: "Allow", Action: ["sqs:SendMessage"], Resource: [queueArn] };
}

/** A trust policy letting an AWS service (e.g. `lambda.amazonaws.com`) assume a role. */
export function serviceTrustPolicy(service: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
  };
}

/** A trust policy letting the given AWS principals (account roots, roles, users) assume a role. */
export function principalTrustPolicy(principalArns: string[]): PolicyDocument {
  if (principalArns.length === 0)
    throw new ConfigError("trustedPrincipalArns", "is empty", "name at least one account, role or user ARN");
  return {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { AWS: principalArns }, Action: "sts:AssumeRole" }],
  };
}

/** A policy document from statements. */
export function policyDocument(statements: PolicyStatement[]): PolicyDocument {
  return { Version: "2012-10-17", Statement: statements };
}

/** Serializes statements (possibly still unknown outputs) into a policy document's JSON. */
export function policyJson(statements: pulumi.Input<pulumi.Input<PolicyStatement>[]>): pulumi.Output<string> {
  return pulumi
    .output(statements)
    .apply((resolved) => JSON.stringify(policyDocument(resolved as unknown as PolicyStatement[])));
}

/** The JSON policy for {@link s3PrefixPolicyStatements} on a bucket ARN that may still be an output, plus extras. */
export function s3PrefixPolicy(
  bucketArn: pulumi.Input<string>,
  access: Omit<PrefixAccess, "kmsKeyArn"> & { kmsKeyArn?: pulumi.Input<string | undefined> },
  extra: pulumi.Input<PolicyStatement>[] = [],
): pulumi.Output<string> {
  return pulumi
    .all([bucketArn, access.kmsKeyArn, pulumi.output(extra)])
    .apply(([arn, kmsKeyArn, extras]) =>
      JSON.stringify(
        policyDocument([
          ...s3PrefixPolicyStatements(arn, { ...access, kmsKeyArn }),
          ...(extras as unknown as PolicyStatement[]),
        ]),
      ),
    );
}
