/**
 * The S3 requests a runtime part really makes, recorded at the server (test/support/s3_requests.py wraps moto's S3 API
 * server), and their evaluation against that part's policy as the program registers it, by iam-simulate (AWS's
 * evaluation rules, conditions included): every request must be allowed, and every request S3 answered with 404 must
 * also have `s3:ListBucket` on the bucket without any `s3:prefix` — on AWS a caller without it gets 403, not 404.
 */
import { CFN_LINT_INSTALL } from "../../programs/preview/cloudformation";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runSimulation } from "@cloud-copilot/iam-simulate";
import type { PolicyDocument } from "../../components/policy";
import { freePort, type LocalS3Server } from "../../runtime/local/s3Server";
import { iamDocuments } from "../../programs/preview/iamLint";
import { MOCK_ACCOUNT, type RegisteredResource } from "../../programs/preview/mocks";
import { previewStack } from "../../programs/preview/stack";

/** One request as the recording server saw it (see test/support/s3_requests.py). */
export interface RecordedRequest {
  /** The part the test said was running ("" for the test's own requests). */
  part: string;
  /** The HTTP method. */
  method: string;
  /** The bucket (path-style addressing). */
  bucket: string;
  /** The object key, "" for a bucket-level request. */
  key: string;
  /** The query parameters (first value each). */
  query: Record<string, string>;
  /** `bucket/key` of a CopyObject or UploadPartCopy source. */
  copy_source: string | null;
  /** The keys of a DeleteObjects request. */
  delete_keys?: string[];
  /** The X-Amz-Target header: set for the JSON APIs (e.g. Secrets Manager) moto serves on the same port. */
  target: string | null;
  /** The HTTP status S3 answered with. */
  status: number;
}

/** A running recording S3 server: a {@link LocalS3Server} whose requests can be read back and labelled by part. */
export interface RecordingS3Server extends LocalS3Server {
  /** Labels the requests that follow with a part's name until `during` returns. */
  during<T>(part: string, run: () => Promise<T>): Promise<T>;
  /** The requests recorded so far, optionally only those of one part. */
  requests(part?: string): RecordedRequest[];
}

/**
 * Starts moto's S3 API server with request recording (python3 test/support/s3_requests.py) on a free port of
 * 127.0.0.1, with the same dummy credentials as `startS3Server()`.
 */
export async function startRecordingS3Server(): Promise<RecordingS3Server> {
  const dir = await mkdtemp(join(tmpdir(), "cinelake-s3-requests-"));
  const log = join(dir, "requests.jsonl");
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn("python3", [join(__dirname, "s3_requests.py"), "--port", String(port), "--log", log], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  await new Promise<void>((resolve, reject) => {
    child.once("error", (error) => reject(new Error(`could not start python3: ${error.message}`)));
    child.once("exit", (code) =>
      reject(
        new Error(
          /No module named 'moto'/.test(stderr)
            ? `moto is not installed: run ${CFN_LINT_INSTALL}`
            : `the recording S3 server exited with code ${code}: ${stderr}`,
        ),
      ),
    );
    child.stdout?.once("data", () => resolve());
  });
  const setPart = async (part: string) => {
    const response = await fetch(`${endpoint}/_recorder/part`, { method: "POST", body: part });
    if (response.status !== 204) throw new Error(`the recording server refused the part label: ${response.status}`);
  };
  return {
    endpoint,
    env: {
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_ACCESS_KEY_ID: "cinelake-local",
      AWS_SECRET_ACCESS_KEY: "cinelake-local-secret",
      AWS_REGION: "us-east-1",
    },
    async during(part, run) {
      await setPart(part);
      try {
        return await run();
      } finally {
        await setPart("");
      }
    },
    requests(part) {
      const all = readFileSync(log, "utf8")
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => JSON.parse(line) as RecordedRequest);
      return part === undefined ? all : all.filter((request) => request.part === part);
    },
    stop: () =>
      new Promise<void>((resolve) => {
        const done = () => void rm(dir, { recursive: true, force: true }).then(() => resolve());
        if (child.exitCode !== null) return done();
        child.once("exit", done);
        child.kill("SIGTERM");
      }),
  };
}

/** One IAM authorization a request needs: an action on a resource, with the request's condition keys. */
export interface IamCheck {
  /** The request it comes from. */
  request: RecordedRequest;
  /** The S3 operation, e.g. `HeadObject` (for messages). */
  operation: string;
  /** The IAM action. */
  action: string;
  /** The resource ARN (the bucket's, or an object's). */
  resource: string;
  /** The condition keys the request carries (`s3:prefix` only for listings, as S3 sets it). */
  context: Record<string, string>;
  /** Why this authorization is needed. */
  because: string;
}

/**
 * S3's REST requests as IAM actions (AWS's "Required permissions for Amazon S3 API operations"): by the level of the
 * request (bucket or object), its method, and the first of the listed query parameters it carries ("" = none of them).
 */
const OPERATIONS: Record<"bucket" | "object", Record<string, [string, string, string][]>> = {
  bucket: {
    HEAD: [["", "HeadBucket", "s3:ListBucket"]],
    GET: [
      ["uploads", "ListMultipartUploads", "s3:ListBucketMultipartUploads"],
      ["location", "GetBucketLocation", "s3:GetBucketLocation"],
      ["versions", "ListObjectVersions", "s3:ListBucketVersions"],
      ["list-type", "ListObjectsV2", "s3:ListBucket"],
      ["", "ListObjects", "s3:ListBucket"],
    ],
    PUT: [["", "CreateBucket", "s3:CreateBucket"]],
    DELETE: [["", "DeleteBucket", "s3:DeleteBucket"]],
  },
  object: {
    HEAD: [["", "HeadObject", "s3:GetObject"]],
    GET: [
      ["uploadId", "ListParts", "s3:ListMultipartUploadParts"],
      ["tagging", "GetObjectTagging", "s3:GetObjectTagging"],
      ["", "GetObject", "s3:GetObject"],
    ],
    PUT: [
      ["tagging", "PutObjectTagging", "s3:PutObjectTagging"],
      ["partNumber", "UploadPart", "s3:PutObject"],
      ["", "PutObject", "s3:PutObject"],
    ],
    POST: [
      ["uploads", "CreateMultipartUpload", "s3:PutObject"],
      ["uploadId", "CompleteMultipartUpload", "s3:PutObject"],
    ],
    DELETE: [
      ["uploadId", "AbortMultipartUpload", "s3:AbortMultipartUpload"],
      // Removing one version (not adding a delete marker) is its own action.
      ["versionId", "DeleteObjectVersion", "s3:DeleteObjectVersion"],
      ["", "DeleteObject", "s3:DeleteObject"],
    ],
  },
};

/** The listing parameters S3 puts into the request context as condition keys. */
const LISTING_CONDITION_KEYS = ["prefix", "delimiter", "max-keys"];

/**
 * The IAM authorizations one recorded S3 request needs, in `bucket` (the recorded bucket name is replaced: tests use
 * their own buckets, the policy names the stack's). Every request carries `aws:SecureTransport: true`, as the SDKs
 * use TLS on AWS (locally moto speaks plain HTTP).
 */
export function iamChecks(request: RecordedRequest, bucket: string): IamCheck[] {
  const arn = `arn:aws:s3:::${bucket}`;
  const context = { "aws:SecureTransport": "true" };
  const check = (operation: string, action: string, resource: string, because: string, extra = {}): IamCheck => ({
    request,
    operation,
    action,
    resource,
    context: { ...context, ...extra },
    because,
  });
  if (request.method === "POST" && request.key === "" && "delete" in request.query)
    return (request.delete_keys ?? []).map((key) =>
      check("DeleteObjects", "s3:DeleteObject", `${arn}/${key}`, "S3 checks each key of a DeleteObjects"),
    );
  const level = request.key === "" ? "bucket" : "object";
  const candidates = OPERATIONS[level][request.method] ?? [];
  const found = candidates.find(([parameter]) => parameter === "" || parameter in request.query);
  if (!found) throw new Error(`no IAM action known for ${request.method} ${level} ?${Object.keys(request.query)}`);
  const [, operation, action] = found;
  const resource = level === "bucket" ? arn : `${arn}/${request.key}`;
  const listing = Object.fromEntries(
    LISTING_CONDITION_KEYS.filter((name) => action === "s3:ListBucket" && name in request.query).map((name) => [
      `s3:${name}`,
      request.query[name] as string,
    ]),
  );
  const checks = [check(operation, action, resource, "the request itself", listing)];
  if (request.copy_source) {
    const source = request.copy_source.replace(/^\//, "").split("?")[0]!.split("/").slice(1).join("/");
    checks.push(check(operation, "s3:GetObject", `${arn}/${source}`, "the copy's source is read"));
  }
  if (level === "object" && request.status === 404)
    checks.push(
      check(
        operation,
        "s3:ListBucket",
        arn,
        "answered 404: S3 says NoSuchKey only to a caller allowed s3:ListBucket (no s3:prefix in this request)",
      ),
    );
  return checks;
}

/** The result of one check. */
export interface IamCheckResult extends IamCheck {
  /** iam-simulate's decision: `Allowed`, `ImplicitlyDenied`, `ExplicitlyDenied`, or `error: ...`. */
  decision: string;
}

/** The policies that decide a principal's S3 requests. */
export interface PartPolicies {
  /** The principal (role ARN). */
  principalArn: string;
  /** Its identity policies. */
  identityPolicies: PolicyDocument[];
  /** The bucket's policy, when it has one. */
  bucketPolicy?: PolicyDocument;
  /** The bucket's name in these policies. */
  bucket: string;
}

/** Evaluates the S3 requests (JSON-API requests such as Secrets Manager's are left out) against a part's policies. */
export async function evaluateS3Requests(
  requests: RecordedRequest[],
  policies: PartPolicies,
): Promise<IamCheckResult[]> {
  const results: IamCheckResult[] = [];
  for (const check of requests.filter((r) => !r.target).flatMap((r) => iamChecks(r, policies.bucket))) {
    const simulation = await runSimulation(
      {
        request: {
          principal: policies.principalArn,
          action: check.action,
          resource: { resource: check.resource, accountId: MOCK_ACCOUNT },
          contextVariables: check.context,
        },
        identityPolicies: policies.identityPolicies.map((policy, index) => ({ name: `identity-${index}`, policy })),
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy: policies.bucketPolicy,
      },
      {},
    );
    const decision =
      simulation.resultType === "error" ? `error: ${simulation.errors.message}` : simulation.overallResult;
    results.push({ ...check, decision });
  }
  return results;
}

/** The role of each runtime part, by the logical name programs/lake.ts gives it. */
export const PART_ROLES: Record<string, string> = {
  "batch-ingestor": "batch-ingestor-role",
  "api-ingestor": "api-ingestor-role",
  "trusted-csv": "job-trusted-csv-role",
  "trusted-tmdb": "job-trusted-tmdb-role",
  refined: "job-refined-role",
};

// One program run per stack: the registered resources do not change within a test run.
const stackResources = new Map<string, Promise<RegisteredResource[]>>();

/** A part's policies as the program registers them for a stack (run under the mocks by `previewStack`). */
export async function registeredPolicies(part: string, stack = "dev"): Promise<PartPolicies> {
  if (!stackResources.has(stack))
    stackResources.set(
      stack,
      previewStack(stack).then((p) => p.resources),
    );
  const resources = await stackResources.get(stack)!;
  const role = resources.find((r) => r.type === "aws:iam/role:Role" && r.name === PART_ROLES[part]);
  if (!role) throw new Error(`the ${stack} stack registers no role ${PART_ROLES[part]} for ${part}`);
  const documents = iamDocuments(resources);
  const bucket = resources.find((r) => r.type === "aws:s3/bucket:Bucket")!;
  return {
    principalArn: String(role.state.arn),
    identityPolicies: documents
      .filter((d) => d.kind === "identity" && d.roles.includes(String(role.state.name)))
      .map((d) => d.policy),
    bucketPolicy: documents.find((d) => d.resourceType === "aws:s3/bucketPolicy:BucketPolicy")?.policy,
    bucket: String(bucket.state.bucket),
  };
}

/** The denied checks, one line each, for an assertion message. */
export function describeDenied(results: IamCheckResult[]): string {
  const denied = results.filter((r) => r.decision !== "Allowed");
  return denied
    .map(
      (r) =>
        `${r.operation} ${r.request.key || r.request.query.prefix || ""} (${r.request.status}): ${r.action} on ` +
        `${r.resource} ${JSON.stringify(r.context)} -> ${r.decision} (${r.because})`,
    )
    .join("\n");
}
