/**
 * One place that builds the S3 client for every runtime part, so AWS and any S3 API server (moto, MinIO) behave alike.
 */
import { GetObjectCommand, ListObjectsV2Command, S3Client, type _Object } from "@aws-sdk/client-s3";

/** The S3 endpoint a custom S3 API server is reached at, from the standard AWS environment, if any. */
export function customS3Endpoint(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
}

/**
 * An S3 client configured from the standard AWS environment. With a custom endpoint it uses path-style addressing
 * (bucket names need no DNS) and sends checksums only when an operation requires them, which such servers accept.
 */
export function makeS3Client(env: NodeJS.ProcessEnv = process.env): S3Client {
  const endpoint = customS3Endpoint(env);
  // Keys in the given environment win (as the SDK's own chain would do for process.env); otherwise the default chain
  // (profiles, SSO, instance or task roles) finds them.
  const keys =
    env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? {
          credentials: {
            accessKeyId: env.AWS_ACCESS_KEY_ID,
            secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
            ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
          },
        }
      : {};
  return new S3Client({
    ...keys,
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || "us-east-1",
    ...(endpoint
      ? {
          endpoint,
          forcePathStyle: true,
          requestChecksumCalculation: "WHEN_REQUIRED" as const,
          responseChecksumValidation: "WHEN_REQUIRED" as const,
        }
      : {}),
  });
}

/** Every object under a prefix, page after page (ListObjectsV2 returns at most 1,000 a call). */
export async function* listAllObjects(s3: S3Client, bucket: string, prefix: string): AsyncGenerator<_Object> {
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    yield* page.Contents ?? [];
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}

/** An object's body as text. */
export async function readObjectText(s3: S3Client, bucket: string, key: string): Promise<string> {
  const body = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (body.Body as { transformToString(): Promise<string> }).transformToString();
}
