/**
 * Physical names and config checks, written once: every resource name carries the stack (student or environment) so
 * that many stacks share one AWS account without collisions, and every bad setting fails at construction — before AWS
 * is called — with a message naming the setting and the fix.
 */
import { ConfigError } from "../lake/errors";
import { checkBucketName } from "../lake/names";

/** Re-exported: the one error type for bad configuration lives in the lake's contract. */
export { ConfigError };
/** Re-exported: S3's bucket-name rule lives in the lake's contract, where the runtime's CLIs use it too. */
export { bucketNameProblem, checkBucketName } from "../lake/names";

/** The project prefix of every physical name. */
export const DEFAULT_NAME_PREFIX = "cinelake";

const STACK_NAME = /^[a-z][a-z0-9-]*[a-z0-9]$/;
/** The longest stack (student or environment) name: leaves room for the prefix and suffixes within AWS's limits. */
export const MAX_STACK_NAME_LENGTH = 24;

/**
 * Checks a student or environment name (`alice`, `dev`, `team-3`): lowercase letters, digits and single hyphens,
 * starting with a letter, 2–24 characters — so it fits every physical name it ends up in (S3, IAM, Lambda, Glue, ECR).
 */
export function checkStackName(value: string, setting = "stackName"): string {
  const fix = `use 2–${MAX_STACK_NAME_LENGTH} lowercase letters, digits or hyphens starting with a letter, e.g. "alice" or "dev"`;
  if (typeof value !== "string" || value.length === 0) throw new ConfigError(setting, "is missing", fix);
  if (value.length < 2 || value.length > MAX_STACK_NAME_LENGTH)
    throw new ConfigError(setting, `"${value}" has ${value.length} characters`, fix);
  if (!STACK_NAME.test(value) || value.includes("--"))
    throw new ConfigError(setting, `"${value}" has characters or a shape that names cannot carry`, fix);
  return value;
}

/** AWS limits on the physical names this library creates. */
export const NAME_LIMITS = {
  /** IAM role and user names. */
  iamRole: 64,
  /** IAM policy names. */
  iamPolicy: 128,
  /** Lambda function and layer names. */
  lambda: 64,
  /** EventBridge rule names. */
  eventRule: 64,
  /** SQS queue names. */
  sqs: 80,
  /** ECR repository names. */
  ecr: 256,
  /** Secrets Manager secret names. */
  secret: 512,
  /** Glue job, database and crawler names. */
  glue: 255,
  /** CloudWatch log group names. */
  logGroup: 512,
} as const;

/**
 * The physical name of a stack's resource: `<prefix>-<stack>-<part>-...` (e.g. `cinelake-alice-api-ingestor`),
 * lowercase and hyphenated, refused if longer than `maxLength`.
 */
export function physicalName(
  stackName: string,
  parts: string[],
  options: { maxLength?: number; prefix?: string } = {},
): string {
  const prefix = options.prefix ?? DEFAULT_NAME_PREFIX;
  checkStackName(stackName);
  for (const part of parts)
    if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(part))
      throw new ConfigError("name part", `"${part}" is not lowercase letters, digits and single hyphens`, "rename it");
  const name = [prefix, stackName, ...parts].join("-");
  const max = options.maxLength ?? NAME_LIMITS.iamRole;
  if (name.length > max)
    throw new ConfigError(
      "stackName",
      `the resource name "${name}" has ${name.length} characters, over AWS's limit of ${max}`,
      "choose a shorter student or environment name",
    );
  return name;
}

/** A Glue/Athena-visible name (database, workgroup): lowercase with underscores, e.g. `cinelake_alice`. */
export function catalogName(stackName: string, parts: string[] = [], prefix = DEFAULT_NAME_PREFIX): string {
  checkStackName(stackName);
  return [prefix, stackName, ...parts].join("_").replace(/-/g, "_");
}

/**
 * The lake bucket's name for a stack: `<prefix>-<stack>[-<suffix>]-lake` (e.g. `cinelake-alice-lake`), validated
 * against S3's rules. The optional suffix (an account id, a team) makes the globally shared S3 namespace unlikely to
 * clash.
 */
export function lakeBucketName(stackName: string, options: { prefix?: string; suffix?: string } = {}): string {
  checkStackName(stackName);
  const prefix = options.prefix ?? DEFAULT_NAME_PREFIX;
  const fix = "use lowercase letters, digits and hyphens, and keep prefix + stack + suffix within 58 characters";
  checkBucketName(`${prefix}-${stackName}-lake`, "namePrefix", fix);
  if (options.suffix === undefined) return `${prefix}-${stackName}-lake`;
  return checkBucketName(`${prefix}-${stackName}-${options.suffix}-lake`, "bucketSuffix", fix);
}

/** The longest name prefix: as long as the default, `cinelake`, so every physical name keeps within AWS's limits. */
export const MAX_NAME_PREFIX_LENGTH = DEFAULT_NAME_PREFIX.length;

/**
 * Checks the first part of every physical name (`cinelake`, or another lake's own, e.g. `books`): 2–8 lowercase
 * letters or digits starting with a letter, so two lakes in one stack and account never share a name.
 */
export function checkNamePrefix(value: string, setting = "namePrefix"): string {
  const fix = `use 2–${MAX_NAME_PREFIX_LENGTH} lowercase letters or digits starting with a letter, e.g. "cinelake" or "books"`;
  if (typeof value !== "string" || !/^[a-z][a-z0-9]+$/.test(value) || value.length > MAX_NAME_PREFIX_LENGTH)
    throw new ConfigError(setting, `"${String(value)}" is not a name prefix`, fix);
  return value;
}
