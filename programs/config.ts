/**
 * The stack's configuration: read once, typed, validated. Every missing or bad value is reported together — before
 * AWS is called — each naming its key and the `pulumi config set` command that fixes it.
 */
import * as pulumi from "@pulumi/pulumi";
import * as runtimeConfig from "@pulumi/pulumi/runtime/config";
import { selectionEnvironment, type ApiIngestorSelection } from "../components/apiIngestor";
import { parseQuickSightPrincipal } from "../components/dashboard";
import { checkAlertEmail } from "../components/lakeAlerts";
import { ConfigError, checkStackName, lakeBucketName } from "../components/naming";
import { checkCron, scheduleIntervalSeconds } from "../components/schedule";
import { WORKER_TYPES, type WorkerType } from "../components/sparkJob";

/** The project's config namespace: keys are `cinelake:<name>`. */
export const NAMESPACE = "cinelake";

/** Everything the program needs, checked. */
export interface LakeConfig {
  /** The student or environment the stack belongs to (every physical name carries it). */
  student: string;
  /** The AWS region the stack deploys to. */
  region: string;
  /** The TMDB API read access token, a secret. */
  tmdbToken: pulumi.Output<string>;
  /** TMDB's base URL, when not the live API. */
  tmdbBaseUrl?: string;
  /** Which titles the ApiIngestor fetches. */
  selection: ApiIngestorSelection;
  /** The ApiIngestor's EventBridge schedule, or false for none. */
  apiSchedule: string | false;
  /** The ApiIngestor Lambda's memory in MB. */
  apiMemoryMb: number;
  /** The ApiIngestor Lambda's timeout in seconds. */
  apiTimeoutSeconds: number;
  /** Concurrent ApiIngestor runs reserved (1: slices never overlap), or false for accounts that cannot reserve any. */
  apiReservedConcurrency: number | false;
  /** Glue sizing of the three Spark jobs. */
  glue: { workerType: WorkerType; numberOfWorkers: number; timeoutMinutes: number };
  /** Glue cron schedule of the Trusted → Refined workflow; on demand when undefined. */
  pipelineSchedule?: string;
  /** The QuickSight user or group owning the dashboard; undefined when the dashboard is turned off. */
  quicksightPrincipalArn?: string;
  /** Whether the dashboard's deploy-time QuickSight subscription check runs. */
  quicksightCheckSubscription: boolean;
  /** Let `pulumi destroy` remove a bucket and repository that still hold data. */
  forceDestroy: boolean;
  /** An extra part of the bucket name for S3's global namespace. */
  bucketSuffix?: string;
  /** A KMS key for the bucket (SSE-KMS) instead of SSE-S3. */
  kmsKeyArn?: string;
  /** An e-mail address subscribed to the alert topic, when set. */
  alertEmail?: string;
  /** Who runs the BatchIngestor container: an existing role or user; a new assumable role when neither is set. */
  batchIngestorPrincipal?: { roleName: string } | { userName: string };
}

/** Where the config comes from: Pulumi's config in the program, a plain map in tests. */
export interface ConfigSource {
  /** A value by full key (`cinelake:student`, `aws:region`), or undefined when unset. */
  get(key: string): string | undefined;
  /** Whether the value of a key is stored as a secret. */
  isSecret(key: string): boolean;
}

/** Several configuration problems, reported together; each line names a key and its fix. */
export class StackConfigError extends Error {
  override name = "StackConfigError";
  /** The individual problems. */
  readonly problems: ConfigError[];

  /** Builds the error from its problems. */
  constructor(problems: ConfigError[]) {
    super(
      `the stack's configuration has ${problems.length} problem${problems.length === 1 ? "" : "s"}:\n` +
        problems.map((problem) => `  - ${problem.message}`).join("\n"),
    );
    this.problems = problems;
  }
}

/** The stack's Pulumi config (`Pulumi.<stack>.yaml`) as a {@link ConfigSource}. */
export function pulumiConfigSource(): ConfigSource {
  // isConfigSecret is not in the SDK's type declarations; without it the plain-token check is skipped.
  const isConfigSecret = (runtimeConfig as unknown as { isConfigSecret?: (key: string) => boolean }).isConfigSecret;
  return {
    // The runtime's raw lookup: pulumi.Config#get would warn on reading the (secret) token, which is wrapped as a
    // secret right away by readLakeConfig anyway.
    get: (key) => runtimeConfig.getConfig(key),
    isSecret: (key) => (isConfigSecret ? isConfigSecret(key) : true),
  };
}

const REGION = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/;

/**
 * Reads and checks the configuration. `stackName` (the Pulumi stack) is the student's name when `cinelake:student`
 * is unset. The token is returned as a secret output; it is never read into a plain string.
 */
export function readLakeConfig(source: ConfigSource, stackName: string): LakeConfig {
  const problems: ConfigError[] = [];
  const key = (name: string) => `${NAMESPACE}:${name}`;
  const setCommand = (name: string, example: string, secret = false) =>
    `pulumi config set ${secret ? "--secret " : ""}${name.includes(":") ? name : key(name)} ${example}`;
  /** Runs one check; a ConfigError it throws is re-labelled with the config key and its fix. */
  function check<T>(name: string, example: string, run: () => T, secret = false): T | undefined {
    try {
      return run();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      // Keep the validator's description of the problem; replace its setting and fix with the config key's.
      const problem = error.message.slice(error.setting.length + 2).replace(/\. Fix: .*$/s, "");
      problems.push(new ConfigError(name.includes(":") ? name : key(name), problem, setCommand(name, example, secret)));
      return undefined;
    }
  }
  const raw = (name: string) => {
    const value = source.get(name.includes(":") ? name : key(name));
    return value === undefined || value.trim() === "" ? undefined : value.trim();
  };
  const integer = (name: string, example: string, fallback: number): number =>
    check(name, example, () => {
      const value = raw(name);
      if (value === undefined) return fallback;
      if (!/^-?\d+$/.test(value)) throw new ConfigError(name, `"${value}" is not a whole number`, "");
      return Number(value);
    }) ?? fallback;
  const optionalInteger = (name: string, example: string): number | undefined =>
    check(name, example, () => {
      const value = raw(name);
      if (value === undefined) return undefined;
      if (!/^-?\d+$/.test(value)) throw new ConfigError(name, `"${value}" is not a whole number`, "");
      return Number(value);
    });
  const boolean = (name: string, fallback: boolean): boolean =>
    check(name, "true", () => {
      const value = raw(name);
      if (value === undefined) return fallback;
      if (value !== "true" && value !== "false") throw new ConfigError(name, `"${value}" is not true or false`, "");
      return value === "true";
    }) ?? fallback;

  const student = check("student", "alice", () => checkStackName(raw("student") ?? stackName, "student")) ?? "invalid";

  const region =
    check("aws:region", "us-east-1", () => {
      const value = raw("aws:region");
      if (value === undefined) throw new ConfigError("aws:region", "is not set", "");
      if (!REGION.test(value)) throw new ConfigError("aws:region", `"${value}" is not an AWS region name`, "");
      return value;
    }) ?? "invalid";
  // The aws-native provider (QuickSight) reads its own key, not aws:region: without it `pulumi up` stops with
  // "missing required configuration key" unless AWS_REGION happens to be set. Both providers must deploy to one region.
  check(`aws-native:region`, region === "invalid" ? "us-east-1" : region, () => {
    const value = raw("aws-native:region");
    if (value === undefined)
      throw new ConfigError("aws-native:region", "is not set (the aws-native provider needs it)", "");
    if (value !== region && region !== "invalid")
      throw new ConfigError("aws-native:region", `is "${value}" but aws:region is "${region}"`, "");
  });

  const tmdbToken = check(
    "tmdbToken",
    "<your TMDB API read access token>",
    () => {
      const value = source.get(key("tmdbToken"));
      if (value === undefined || value.trim() === "") throw new ConfigError("tmdbToken", "is not set", "");
      if (!source.isSecret(key("tmdbToken")))
        throw new ConfigError("tmdbToken", "is stored in plain text in the stack's config file", "");
      return pulumi.secret(value.trim());
    },
    true,
  );

  const tmdbBaseUrl = check("tmdbBaseUrl", "https://api.themoviedb.org/3", () => {
    const value = raw("tmdbBaseUrl");
    if (value !== undefined && !/^https?:\/\/[^\s/]+/.test(value))
      throw new ConfigError("tmdbBaseUrl", `"${value}" is not an http(s) URL`, "");
    return value;
  });

  const selection: ApiIngestorSelection = {};
  const kind = raw("selectionKind");
  if (kind !== undefined) selection.kind = kind as ApiIngestorSelection["kind"];
  const genres = raw("selectionGenres");
  if (genres !== undefined) selection.genres = genres.split(",").map((genre) => genre.trim());
  const yearFrom = optionalInteger("selectionYearFrom", "1990");
  if (yearFrom !== undefined) selection.yearFrom = yearFrom;
  const yearTo = optionalInteger("selectionYearTo", "2025");
  if (yearTo !== undefined) selection.yearTo = yearTo;
  const minVotes = optionalInteger("selectionMinVotes", "1000");
  if (minVotes !== undefined) selection.minVotes = minVotes;
  const limit = optionalInteger("selectionLimit", "2000");
  if (limit !== undefined) selection.limit = limit;
  const selectionKeys: Record<string, [string, string]> = {
    kind: ["selectionKind", "movies"],
    genres: ["selectionGenres", "Drama,Comedy"],
    yearFrom: ["selectionYearFrom", "1990"],
    yearTo: ["selectionYearTo", "2025"],
    minVotes: ["selectionMinVotes", "1000"],
    limit: ["selectionLimit", "2000"],
  };
  try {
    selectionEnvironment(selection);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const [name, example] = selectionKeys[error.setting.replace(/^selection\./, "")] ?? ["selectionKind", "all"];
    check(name, example, () => {
      throw error;
    });
  }

  const apiTimeoutSeconds = integer("apiTimeoutSeconds", "900", 900);
  check("apiTimeoutSeconds", "900", () => {
    if (apiTimeoutSeconds < 1 || apiTimeoutSeconds > 900)
      throw new ConfigError("apiTimeoutSeconds", `${apiTimeoutSeconds} is not from 1 to 900 (Lambda's limit)`, "");
  });
  const apiMemoryMb = integer("apiMemoryMb", "1024", 1024);
  check("apiMemoryMb", "1024", () => {
    if (apiMemoryMb < 128 || apiMemoryMb > 10240)
      throw new ConfigError("apiMemoryMb", `${apiMemoryMb} is not from 128 to 10240`, "");
  });
  const reservedRaw = raw("apiReservedConcurrency");
  const apiReservedConcurrency =
    reservedRaw === "off" ? false : integer("apiReservedConcurrency", "1  (or off on a new account)", 1);
  check("apiReservedConcurrency", "1  (or off on a new account whose concurrency limit is 10)", () => {
    if (apiReservedConcurrency !== false && (apiReservedConcurrency < 1 || apiReservedConcurrency > 1000))
      throw new ConfigError("apiReservedConcurrency", `${apiReservedConcurrency} is not from 1 to 1000 or off`, "");
  });
  const scheduleRaw = raw("apiSchedule") ?? "rate(1 hour)";
  const apiSchedule =
    scheduleRaw === "off"
      ? false
      : (check("apiSchedule", '"rate(1 hour)"  (or off)', () => {
          const interval = scheduleIntervalSeconds(scheduleRaw, "apiSchedule");
          if (interval !== undefined && interval <= apiTimeoutSeconds)
            throw new ConfigError(
              "apiSchedule",
              `"${scheduleRaw}" runs every ${interval} s, within the ${apiTimeoutSeconds} s timeout (cinelake:apiTimeoutSeconds)`,
              "",
            );
          return scheduleRaw;
        }) ?? false);

  const workerType = (raw("glueWorkerType") ?? "G.1X") as WorkerType;
  check("glueWorkerType", "G.1X", () => {
    if (!(WORKER_TYPES as readonly string[]).includes(workerType))
      throw new ConfigError("glueWorkerType", `"${workerType}" is not one of ${WORKER_TYPES.join(", ")}`, "");
  });
  const numberOfWorkers = integer("glueWorkers", "2", 2);
  check("glueWorkers", "2", () => {
    if (numberOfWorkers < 2 || numberOfWorkers > 299)
      throw new ConfigError("glueWorkers", `${numberOfWorkers} is not from 2 to 299`, "");
  });
  const timeoutMinutes = integer("glueTimeoutMinutes", "60", 60);
  check("glueTimeoutMinutes", "60", () => {
    if (timeoutMinutes < 1 || timeoutMinutes > 2880)
      throw new ConfigError("glueTimeoutMinutes", `${timeoutMinutes} is not from 1 to 2880`, "");
  });
  const pipelineSchedule = check("pipelineSchedule", '"cron(0 6 * * ? *)"', () => {
    const value = raw("pipelineSchedule");
    return value === undefined ? undefined : checkCron(value, "pipelineSchedule");
  });

  const dashboard = boolean("dashboard", true);
  const quicksightPrincipalArn = dashboard
    ? check(
        "quicksightPrincipalArn",
        "arn:aws:quicksight:us-east-1:<account>:user/default/<name>  (or set cinelake:dashboard false)",
        () => {
          const value = raw("quicksightPrincipalArn");
          if (value === undefined)
            throw new ConfigError("quicksightPrincipalArn", "is not set (the dashboard needs an owner)", "");
          parseQuickSightPrincipal(value, "quicksightPrincipalArn");
          return value;
        },
      )
    : undefined;
  const quicksightCheckSubscription = boolean("quicksightCheckSubscription", true);
  const forceDestroy = boolean("forceDestroy", false);

  const bucketSuffix = raw("bucketSuffix");
  if (problems.every((problem) => problem.setting !== key("student")))
    check("bucketSuffix", "123456789012", () => lakeBucketName(student, { suffix: bucketSuffix }));
  const kmsKeyArn = check("kmsKeyArn", "arn:aws:kms:<region>:<account>:key/<id>", () => {
    const value = raw("kmsKeyArn");
    if (value !== undefined && !/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/\S+$/.test(value))
      throw new ConfigError("kmsKeyArn", `"${value}" is not a KMS key ARN`, "");
    return value;
  });

  const alertEmail = check("alertEmail", "alice@example.com", () => {
    const value = raw("alertEmail");
    return value === undefined ? undefined : checkAlertEmail(value, "alertEmail");
  });

  const roleName = raw("batchIngestorRole");
  const userName = raw("batchIngestorUser");
  check(
    "batchIngestorRole",
    "<role name>  (or unset one of cinelake:batchIngestorRole / cinelake:batchIngestorUser)",
    () => {
      if (roleName !== undefined && userName !== undefined)
        throw new ConfigError("batchIngestorRole", "and cinelake:batchIngestorUser are both set", "");
    },
  );

  if (problems.length) throw new StackConfigError(problems);
  return {
    student,
    region,
    tmdbToken: tmdbToken!,
    ...(tmdbBaseUrl !== undefined ? { tmdbBaseUrl } : {}),
    selection,
    apiSchedule,
    apiMemoryMb,
    apiTimeoutSeconds,
    apiReservedConcurrency,
    glue: { workerType, numberOfWorkers, timeoutMinutes },
    ...(pipelineSchedule !== undefined ? { pipelineSchedule } : {}),
    ...(quicksightPrincipalArn !== undefined ? { quicksightPrincipalArn } : {}),
    quicksightCheckSubscription,
    forceDestroy,
    ...(bucketSuffix !== undefined ? { bucketSuffix } : {}),
    ...(kmsKeyArn !== undefined ? { kmsKeyArn } : {}),
    ...(alertEmail !== undefined ? { alertEmail } : {}),
    ...(roleName !== undefined ? { batchIngestorPrincipal: { roleName } } : {}),
    ...(userName !== undefined ? { batchIngestorPrincipal: { userName } } : {}),
  };
}
