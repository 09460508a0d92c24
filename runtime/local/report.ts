/**
 * The demo's run report: what each stage did (rows and files per zone, quarantined, not found, failed) and how long
 * it took, printed as a table and written to the lake as JSON.
 */

/** The outcome of one stage of the local lake. */
export interface StageResult {
  /** The stage's name, e.g. `trusted-csv`. */
  stage: string;
  /** `ok`, `skipped` (nothing to do) or `failed`. */
  status: "ok" | "skipped" | "failed";
  /** Wall time in milliseconds. */
  durationMs: number;
  /** Peak resident memory in MB: the demo process's own during the stage plus its child processes' (Spark). */
  peakRssMb?: number;
  /** The pid of the Python process that ran the stage's Spark job (the demo's jobs share one, issue 12 #3). */
  pid?: number;
  /** Named counts, e.g. `{ rows: 1000, files: 2, quarantined: 3 }`. */
  counts: Record<string, number>;
  /** One line saying what happened. */
  summary: string;
}

/** The whole run. */
export interface DemoReport {
  /** When the run started (ISO 8601). */
  startedAt: string;
  /** The bucket on the local S3 API server. */
  bucket: string;
  /** The local folder laid out like the bucket. */
  lakeDir: string;
  /** The day the Raw files landed under. */
  date: string;
  /** True when every stage succeeded. */
  ok: boolean;
  /** Total wall time in milliseconds. */
  durationMs: number;
  /** One entry per stage, in run order. */
  stages: StageResult[];
}

const pad = (text: string, width: number) => (text.length >= width ? text : text + " ".repeat(width - text.length));

/** Formats a report as a fixed-width table for the terminal. */
export function formatReport(report: DemoReport): string {
  const lines = [
    `cinelake local run ${report.ok ? "succeeded" : "FAILED"} in ${(report.durationMs / 1000).toFixed(1)} s ` +
      `(bucket ${report.bucket}, day ${report.date}, lake folder ${report.lakeDir})`,
    `${pad("stage", 14)}${pad("status", 9)}${pad("seconds", 9)}${pad("peak MB", 9)}what happened`,
  ];
  for (const stage of report.stages)
    lines.push(
      `${pad(stage.stage, 14)}${pad(stage.status, 9)}${pad((stage.durationMs / 1000).toFixed(1), 9)}` +
        `${pad(stage.peakRssMb === undefined ? "-" : String(stage.peakRssMb), 9)}${stage.summary}`,
    );
  return lines.join("\n");
}

/** Formats named counts as `a=1, b=2`, leaving out zero counts other than the first. */
export function formatCounts(counts: Record<string, number>): string {
  return Object.entries(counts)
    .filter(([, value], index) => index === 0 || value !== 0)
    .map(([name, value]) => `${name}=${value}`)
    .join(", ");
}
