/**
 * S3's bucket-name rule, written once for every layer: the components check the buckets they create, and the local
 * runner's CLIs (`npm run job`, `npm run catalog`) the `--bucket` they are given.
 */
import { ConfigError } from "./errors";

const RESERVED_BUCKET_PREFIXES = ["xn--", "sthree-", "amzn-s3-demo-"];
const RESERVED_BUCKET_SUFFIXES = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];

/**
 * Returns why a name breaks S3's general-purpose bucket naming rules (or this library's stricter "no dots" rule, which
 * keeps virtual-hosted TLS and transfer acceleration working), or `undefined` when it is valid.
 */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return `has ${name.length} characters; S3 needs 3 to 63`;
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return "is formatted as an IP address, which S3 refuses";
  if (name.includes("..")) return `contains "..", which S3 refuses`;
  if (/[A-Z]/.test(name)) return "has uppercase letters; S3 bucket names are lowercase";
  if (name.includes(".")) return "contains a dot, which breaks virtual-hosted TLS; use hyphens";
  if (!/^[a-z0-9-]+$/.test(name)) return "has characters other than lowercase letters, digits and hyphens";
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) return "must begin and end with a letter or digit";
  for (const prefix of RESERVED_BUCKET_PREFIXES)
    if (name.startsWith(prefix)) return `starts with "${prefix}", which S3 reserves`;
  for (const suffix of RESERVED_BUCKET_SUFFIXES)
    if (name.endsWith(suffix)) return `ends with "${suffix}", which S3 reserves`;
  return undefined;
}

/** Checks a bucket name against S3's rules and returns it, or throws a {@link ConfigError} naming `setting`. */
export function checkBucketName(name: string, setting: string, fix: string): string {
  const problem = bucketNameProblem(name);
  if (problem) throw new ConfigError(setting, `the bucket name "${name}" ${problem}`, fix);
  return name;
}
