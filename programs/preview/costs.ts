/**
 * The monthly cost drivers of a stack, from its checked config: what each Glue run, Lambda slice and QuickSight seat
 * costs at approximate us-east-1 list prices. The prices are the README's "Costs" table, written once here; they are
 * an illustration to check against AWS's pricing pages, not a bill.
 */
import type { LakeConfig } from "../config";
import type { WorkerType } from "../../components/sparkJob";

/** Approximate list prices (USD, us-east-1) the estimates use. */
export const LIST_PRICES = {
  /** Glue Spark jobs, per DPU-hour, billed per second with a 1-minute minimum. */
  glueDpuHour: 0.44,
  /** Lambda on arm64, per GB-second. */
  lambdaArmGbSecond: 0.0000133334,
  /** Lambda, per million requests. */
  lambdaMillionRequests: 0.2,
  /** QuickSight Enterprise author, per user-month. */
  quicksightAuthorMonth: 24,
  /** Secrets Manager, per secret-month. */
  secretMonth: 0.4,
} as const;

/** DPUs per worker of each Glue worker type (AWS's documented sizes). */
export const DPU_PER_WORKER: Record<WorkerType, number> = {
  "G.1X": 1,
  "G.2X": 2,
  "G.4X": 4,
  "G.8X": 8,
  "G.12X": 12,
  "G.16X": 16,
  "R.1X": 1,
  "R.2X": 2,
  "R.4X": 4,
  "R.8X": 8,
};

/** The Spark jobs a workflow run starts (both Trusted jobs, then Refined). */
export const JOBS_PER_WORKFLOW_RUN = 3;

/** One cost driver: what it is, how much of it, and its price. */
export interface CostDriver {
  /** What is billed, e.g. `Glue: 3 jobs × 2 × G.1X`. */
  what: string;
  /** The quantity and the assumption behind it, in words. */
  quantity: string;
  /** Estimated USD per month, at {@link LIST_PRICES}; undefined when it depends on use (on demand). */
  monthlyUsd?: number;
  /** Whether `monthlyUsd` is a ceiling (e.g. every slice running to its timeout) rather than an estimate. */
  upperBound?: boolean;
}

const MONTH_SECONDS = 30 * 24 * 3600;

/** How many times an EventBridge `rate(...)` runs in 30 days; undefined for `cron(...)` or no schedule. */
export function runsPerMonth(schedule: string | false | undefined): number | undefined {
  if (!schedule) return undefined;
  const match = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(schedule);
  if (match) return MONTH_SECONDS / (Number(match[1]) * { minute: 60, hour: 3600, day: 86400 }[match[2]!]!);
  // A Glue or EventBridge cron: daily when minute and hour are fixed and every day of the month/week is allowed.
  const cron = /^cron\((\d+) (\d+) (\*|\?) \* (\*|\?) \*\)$/.exec(schedule);
  return cron ? 30 : undefined;
}

/**
 * The cost drivers of a stack: Glue DPU-hours per workflow run (at the billing minimum and per 10 minutes of job
 * time), Lambda GB-seconds per slice (the timeout is the upper bound), the QuickSight author seat and the secret.
 */
export function costDrivers(config: LakeConfig, minutesPerJob = 10): CostDriver[] {
  const drivers: CostDriver[] = [];
  const dpu = config.glue.numberOfWorkers * DPU_PER_WORKER[config.glue.workerType];
  const dpuHoursPerRun = (JOBS_PER_WORKFLOW_RUN * dpu * minutesPerJob) / 60;
  const minimumDpuHours = (JOBS_PER_WORKFLOW_RUN * dpu) / 60;
  const workflowRuns = runsPerMonth(config.pipelineSchedule);
  drivers.push({
    what: `Glue: ${JOBS_PER_WORKFLOW_RUN} jobs × ${config.glue.numberOfWorkers} × ${config.glue.workerType} (${dpu} DPU each)`,
    quantity:
      `${dpuHoursPerRun.toFixed(2)} DPU-hours per workflow run at ${minutesPerJob} min a job ` +
      `($${(dpuHoursPerRun * LIST_PRICES.glueDpuHour).toFixed(2)}; at least ${minimumDpuHours.toFixed(2)} DPU-hours, ` +
      `the 1-minute minimum); ${workflowRuns === undefined ? "on demand" : `${workflowRuns} runs a month (${config.pipelineSchedule})`}`,
    ...(workflowRuns !== undefined ? { monthlyUsd: workflowRuns * dpuHoursPerRun * LIST_PRICES.glueDpuHour } : {}),
  });
  const gbSecondsPerSlice = (config.apiMemoryMb / 1024) * config.apiTimeoutSeconds;
  const slices = runsPerMonth(config.apiSchedule);
  drivers.push({
    what: `Lambda: ${config.apiMemoryMb} MB × up to ${config.apiTimeoutSeconds} s (arm64)`,
    quantity:
      `at most ${gbSecondsPerSlice.toFixed(0)} GB-seconds per slice ($${(gbSecondsPerSlice * LIST_PRICES.lambdaArmGbSecond).toFixed(4)}); ` +
      (slices === undefined
        ? "run by hand"
        : `${Math.round(slices)} slices a month (${config.apiSchedule}); a slice ends early once every title is fetched`),
    ...(slices !== undefined
      ? {
          monthlyUsd:
            slices * gbSecondsPerSlice * LIST_PRICES.lambdaArmGbSecond +
            (slices / 1e6) * LIST_PRICES.lambdaMillionRequests,
          upperBound: true,
        }
      : {}),
  });
  if (config.quicksightPrincipalArn !== undefined)
    drivers.push({
      what: "QuickSight Enterprise: 1 author (the dashboard's owner)",
      quantity: "per user-month; readers and the account's subscription are extra",
      monthlyUsd: LIST_PRICES.quicksightAuthorMonth,
    });
  drivers.push({ what: "Secrets Manager: the TMDB token", quantity: "1 secret", monthlyUsd: LIST_PRICES.secretMonth });
  drivers.push({
    what: "S3, Athena, CloudWatch Logs, ECR",
    quantity: "by use: ~$0.023 per GB-month stored, ~$5 per TB Athena scans, ~$0.50 per GB of logs",
  });
  return drivers;
}
