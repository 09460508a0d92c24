/**
 * The ApiIngestor's Lambda handler: one time-boxed slice per invocation, settings from the environment
 * ({@link API_INGESTOR_ENV}), the token read once per container from Secrets Manager (or `TMDB_TOKEN` locally).
 * Returns `{ done, fetched, remaining, ... }` so a schedule or a loop continues until `done`. Each invocation holds
 * the lease for its slice (finding 8): an invocation next to a running one throws, naming the holder, instead of
 * fetching the same ids; an unreachable TMDB throws too (finding 4). Both land in the on-failure queue.
 */
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { S3Client } from "@aws-sdk/client-s3";
import { ConfigError } from "../../lake/errors";
import { makeS3Client } from "../shared/s3Client";
import { API_INGESTOR_ENV, settingsFromEnv } from "./env";
import { runSlice, type SliceResult } from "./ingest";
import { withLease } from "./lease";
import { TmdbClient } from "./tmdbClient";

/** The part of the Lambda context the handler uses. */
export interface SliceContext {
  getRemainingTimeInMillis(): number;
  /** The invocation's id (named in the lease, so a refused invocation can say which one holds it). */
  awsRequestId?: string;
}

let tokenOnce: Promise<string> | undefined;
let s3Once: S3Client | undefined;

/** Extracts the token from a SecretString: the token itself, or JSON with a `token` field. */
export function tokenFromSecretString(secret: string): string {
  const text = secret.trim();
  if (text.startsWith("{")) {
    const parsed = JSON.parse(text) as { token?: unknown };
    if (typeof parsed.token !== "string" || parsed.token === "")
      throw new ConfigError(
        API_INGESTOR_ENV.secretId,
        'the TMDB secret is JSON without a non-empty "token" field',
        'store the token itself as the secret\'s string, or JSON {"token": "<token>"}',
      );
    return parsed.token;
  }
  return text;
}

async function readToken(env: NodeJS.ProcessEnv, secretId: string | undefined): Promise<string> {
  const local = env[API_INGESTOR_ENV.token];
  if (local) return local;
  if (!secretId)
    throw new ConfigError(
      API_INGESTOR_ENV.secretId,
      `is not set, nor ${API_INGESTOR_ENV.token}: the handler has no TMDB token`,
      `set ${API_INGESTOR_ENV.secretId} to the secret holding the token (the ApiIngestor component does)`,
    );
  const secrets = new SecretsManagerClient({ region: env.AWS_REGION || env.AWS_DEFAULT_REGION || "us-east-1" });
  const value = await secrets.send(new GetSecretValueCommand({ SecretId: secretId }));
  if (!value.SecretString)
    throw new ConfigError(
      API_INGESTOR_ENV.secretId,
      `secret ${secretId} has no SecretString holding the TMDB token`,
      "store the TMDB token as the secret's string value",
    );
  return tokenFromSecretString(value.SecretString);
}

/** The Lambda entry point: runs one slice and returns its result. */
export async function handler(_event: unknown, context: SliceContext): Promise<SliceResult> {
  const settings = settingsFromEnv(process.env);
  // Once per container: a warm Lambda reuses the token and the S3 client; a failed read is retried next time.
  tokenOnce ??= readToken(process.env, settings.secretId).catch((error) => {
    tokenOnce = undefined;
    throw error;
  });
  const token = await tokenOnce;
  s3Once ??= makeS3Client(process.env);
  const client = new TmdbClient({
    baseUrl: settings.baseUrl,
    token,
    maxRps: settings.maxRps,
    maxInFlight: settings.maxInFlight,
    timeoutMs: settings.timeoutMs,
    retry: { baseDelayMs: settings.retryBaseMs },
  });
  const functionName = process.env.AWS_LAMBDA_FUNCTION_NAME ?? "the ApiIngestor Lambda";
  const result = await withLease(
    {
      s3: s3Once,
      bucket: settings.bucket,
      kind: "lambda",
      holder: `Lambda ${functionName} request ${context.awsRequestId ?? "(local)"}`,
      ttlMs: settings.leaseTtlMs,
      log: (message) => console.log(message),
    },
    (lease) =>
      runSlice(
        { s3: s3Once as S3Client, client },
        {
          bucket: settings.bucket,
          csvDate: settings.csvDate,
          selection: settings.selection,
          remainingMs: () => context.getRemainingTimeInMillis(),
          stopMarginMs: settings.stopMarginMs,
          fileLimits: settings.fileLimits,
          leaseLost: lease.lost,
          log: (message) => console.log(message),
        },
      ),
  );
  const { slice, ...totals } = result;
  console.log(JSON.stringify({ ...totals, slice: { ...slice, files: slice.files.length } }));
  return result;
}
