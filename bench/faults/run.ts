/**
 * The fault suite (issue 13), a benchmark, not a test: runs every case of every case module in bench/faults (each
 * `*.ts` exporting `cases`, see cases.ts) against the local servers and prints, per case, what was expected, what
 * happened, and the counts of lost, duplicated and corrupted records, hangs and silent successes; then the totals
 * (target: all 0). Exits 1 when a total is not 0, so a script can tell.
 *
 *   npx tsx bench/faults/run.ts [--only SUBSTRING] [--timeout-s 300]
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { exitCodeOf, numberSetting, parseFlags } from "../../runtime/shared/flags";
import type { FaultCase, FaultCaseModule, FaultOutcome } from "./cases";

/** Files of this folder that are not case modules. */
const NOT_CASES = new Set(["cases.ts", "run.ts", "s3Gate.ts"]);

/** One row of the printed table. */
export interface FaultRow extends FaultOutcome {
  /** The case's name. */
  name: string;
  /** What should have happened. */
  expected: string;
  /** Seconds the case took. */
  seconds: number;
}

/** Runs a case with a time limit: a case that does not finish counts as hung (and is not waited for). */
export async function runCase(fault: FaultCase, timeoutMs: number): Promise<FaultRow> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<FaultOutcome>((resolve) => {
    timer = setTimeout(
      () =>
        resolve({
          happened: `did not finish within ${timeoutMs / 1000} s`,
          lost: 0,
          duplicated: 0,
          corrupted: 0,
          hung: true,
          silentSuccess: false,
        }),
      timeoutMs,
    );
  });
  let outcome: FaultOutcome;
  try {
    outcome = await Promise.race([fault.run(), hung]);
  } catch (error) {
    // A case that throws is a broken case, not a result: say so in its row rather than hide the others.
    outcome = {
      happened: `the case itself failed: ${(error as Error).message}`,
      lost: 0,
      duplicated: 0,
      corrupted: 0,
      hung: false,
      silentSuccess: false,
    };
  } finally {
    clearTimeout(timer);
  }
  return { name: fault.name, expected: fault.expected, seconds: (Date.now() - started) / 1000, ...outcome };
}

/** The table: one block per case, then the totals line. */
export function formatTable(rows: FaultRow[]): string {
  const lines: string[] = [];
  const header = ["case", "lost", "dup", "corrupt", "hung", "silent", "s"];
  const width = Math.max(...rows.map((row) => row.name.length), 4);
  lines.push(
    `${header[0]!.padEnd(width)}  ${header
      .slice(1)
      .map((h) => h.padStart(8))
      .join("")}`,
  );
  for (const row of rows) {
    const cells = [row.lost, row.duplicated, row.corrupted, row.hung ? 1 : 0, row.silentSuccess ? 1 : 0];
    lines.push(
      `${row.name.padEnd(width)}  ${cells.map((c) => String(c).padStart(8)).join("")}${row.seconds.toFixed(1).padStart(8)}`,
    );
    lines.push(`${" ".repeat(2)}expected: ${row.expected}`);
    lines.push(`${" ".repeat(2)}happened: ${row.happened}`);
  }
  const total = (pick: (row: FaultRow) => number) => rows.reduce((sum, row) => sum + pick(row), 0);
  lines.push(
    `${"total".padEnd(width)}  ${[
      total((r) => r.lost),
      total((r) => r.duplicated),
      total((r) => r.corrupted),
      total((r) => (r.hung ? 1 : 0)),
      total((r) => (r.silentSuccess ? 1 : 0)),
    ]
      .map((c) => String(c).padStart(8))
      .join("")}`,
  );
  return lines.join("\n");
}

async function main(): Promise<number> {
  const { values } = parseFlags({ options: { only: { type: "string" }, "timeout-s": { type: "string" } } });
  const timeoutMs =
    (numberSetting("--timeout-s", values["timeout-s"], { fraction: true, aboveMin: true, example: 300 }) ?? 300) * 1000;
  const files = readdirSync(__dirname)
    .filter((file) => file.endsWith(".ts") && !NOT_CASES.has(file))
    .sort();
  const rows: FaultRow[] = [];
  for (const file of files) {
    const module = (await import(join(__dirname, file))) as Partial<FaultCaseModule>;
    if (!Array.isArray(module.cases)) continue;
    try {
      for (const fault of module.cases) {
        if (values.only && !fault.name.includes(values.only)) continue;
        console.error(`… ${fault.name}`);
        rows.push(await runCase(fault, timeoutMs));
      }
    } finally {
      await module.teardown?.();
    }
  }
  console.log(formatTable(rows));
  const bad = rows.some((r) => r.lost || r.duplicated || r.corrupted || r.hung || r.silentSuccess);
  return bad ? 1 : 0;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`bench/faults: ${(error as Error).message}`);
      process.exit(exitCodeOf(error));
    },
  );
}
