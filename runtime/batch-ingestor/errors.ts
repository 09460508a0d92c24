/**
 * Turns the S3 SDK's errors into messages that say what to set or check (bucket, credentials, endpoint), so a student
 * running the container knows what to fix without reading a stack trace.
 */

/** An error of the BatchIngestor with a message meant for the person running it. */
export class IngestError extends Error {
  override name = "IngestError";
}

/** Where requests go, for messages: the custom endpoint or AWS's regional one. */
export interface S3Target {
  /** The bucket name. */
  bucket: string;
  /** The custom endpoint (AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL), if any. */
  endpoint?: string;
  /** The region. */
  region: string;
}

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
]);

function where(target: S3Target): string {
  return target.endpoint
    ? `the S3 endpoint ${target.endpoint} (from AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL)`
    : `AWS S3 in region ${target.region}`;
}

function networkCode(error: unknown): string | undefined {
  for (
    let current = error as { code?: string; cause?: unknown } | undefined, depth = 0;
    current && depth < 5;
    depth++
  ) {
    if (current.code && NETWORK_CODES.has(current.code)) return current.code;
    current = current.cause as typeof current;
  }
  const name = (error as Error)?.name;
  if (name === "TimeoutError" || name === "RequestTimeout") return name;
  if (/socket hang up|ECONNRESET|EPIPE/.test((error as Error)?.message ?? "")) return "ECONNRESET";
  return undefined;
}

/** Explains an S3 SDK error during `action` (e.g. "checking the bucket") in terms of what to set or check. */
export function explainS3Error(error: unknown, action: string, target: S3Target): IngestError {
  if (error instanceof IngestError) return error;
  const err = error as Error & { $metadata?: { httpStatusCode?: number }; Code?: string };
  const name = err?.name ?? "";
  const status = err?.$metadata?.httpStatusCode;
  const detail = `${name}${err?.message && err.message !== name ? `: ${err.message}` : ""}`;
  if (name === "CredentialsProviderError" || /Could not load credentials/i.test(err?.message ?? ""))
    return new IngestError(
      `no AWS credentials found while ${action}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY ` +
        `(and AWS_SESSION_TOKEN for temporary ones) or AWS_PROFILE`,
    );
  if (["InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken"].includes(name))
    return new IngestError(
      `${where(target)} rejected the credentials while ${action} (${name}): check AWS_ACCESS_KEY_ID, ` +
        `AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN`,
    );
  const code = networkCode(error);
  if (code)
    return new IngestError(
      `cannot reach ${where(target)} while ${action} (${code}): check the endpoint URL, the network and that the ` +
        `server is running`,
    );
  if (
    name === "NoSuchBucket" ||
    (name === "NotFound" && action.includes("bucket")) ||
    (status === 404 && action.includes("bucket"))
  )
    return new IngestError(
      `bucket "${target.bucket}" does not exist at ${where(target)}: check --bucket (or LAKE_BUCKET) and that the ` +
        `DataLakeBucket is deployed`,
    );
  if (name === "AccessDenied" || name === "Forbidden" || status === 403)
    return new IngestError(
      `access denied to bucket "${target.bucket}" at ${where(target)} while ${action}: the credentials need ` +
        `s3:ListBucket, s3:GetObject, s3:PutObject and s3:AbortMultipartUpload on Raw/Local/CSV/`,
    );
  return new IngestError(`S3 request failed while ${action} at ${where(target)}: ${detail || String(error)}`);
}
