/**
 * The local runner's cases of the fault suite (issue 13 #2, #3, #9, #12, #16): `npm run demo` on an unusable home
 * (`/proc/x`), with a taken `--port`, two demos started at once on a fresh home, two `--force` demos at once on a built
 * home, and a demo SIGKILLed mid-run then run again. Each runs the real command (`node --import tsx
 * runtime/local/demo.ts`, one process, so a kill reaches the demo itself) at a small scale (100 titles, 20 TMDB
 * titles, a fixed day), so a case takes a few minutes at most.
 *
 * Counting, against a clean run (the first case: one demo on a fresh home, alone, whose Refined tables must hold the
 * rows its own report counted): a record is a
 * row of a Trusted or Refined table (every table of the registry), read from the lake folder's Parquet with DuckDB and
 * compared as a multiset, provenance columns (`source_file`, which names the run's own Raw file) left out. Lost: rows
 * of the clean run missing. Duplicated: extra copies of rows the clean run has. Corrupted: rows the clean run does not
 * have at all. Hung: a demo that did not end in time, or a child process (moto_server, Spark's driver or JVM) still
 * running 20 s after the demo that started it was SIGKILLed. A silent success is a run that exited 0 without doing
 * its job: a second demo on a home in use, a demo on /proc/x or on a taken port, a lake that differs from the clean
 * run.
 */
import { DuckDBInstance } from "@duckdb/node-api";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { TABLES } from "../../lake/tables";
import { treeMemory } from "../../runtime/local/job";
import type { DemoReport } from "../../runtime/local/report";
import { startTimed, type TimedProcess, type TimedRun } from "../../test/support/timedProcess";
import type { FaultCase, FaultOutcome } from "./cases";

const ROOT = resolve(__dirname, "..", "..");
const DATE = "2026-05-04";
const SCALE = ["--titles", "100", "--tmdb-limit", "20", "--date", DATE, "--no-serve"];
/** A demo that takes longer than this is killed and counted as hung. */
const HANG_MS = 290_000;
/** Columns that name the run itself (its Raw file's name), not the data. */
const PROVENANCE = new Set(["source_file"]);

type DemoRun = TimedRun;
type Started = TimedProcess;

/** Starts the demo as one Node process; killed and marked hung after `hangMs`. */
function startDemo(args: string[], hangMs = HANG_MS): Started {
  return startTimed(
    process.execPath,
    ["--import", "tsx", "runtime/local/demo.ts", ...args],
    { cwd: ROOT, env: { ...process.env, CINELAKE_VERBOSE: "" } },
    hangMs,
  );
}

/** The demo's last line on stderr (its one-line verdict), Node's notices left out. */
function lastLine(run: DemoRun): string {
  const lines = run.stderr.split("\n").filter((line) => line.trim() !== "" && !/^\(node:\d+\)|--trace-/.test(line));
  return lines.at(-1) ?? "(nothing on stderr)";
}

function freshHome(name: string): string {
  const home = mkdtempSync(join(tmpdir(), `cinelake-faults-local-${name}-`));
  homes.push(home);
  return home;
}

const homes: string[] = [];
let reference: Promise<string> | undefined;

/** The lake folder of a clean run: the first case's, or (when run alone with --only) one demo on a fresh home. */
function cleanLake(): Promise<string> {
  reference ??= (async () => {
    const home = freshHome("clean");
    const run = await startDemo(["--home", home, ...SCALE]).done;
    if (run.code !== 0) throw new Error(`the clean run failed: ${lastLine(run)}`);
    return join(home, "lake");
  })();
  return reference;
}

/** Lost, duplicated and corrupted rows of a lake against the clean one, over every registry table. */
export async function compareLakes(
  lake: string,
  clean: string,
): Promise<Pick<FaultOutcome, "lost" | "duplicated" | "corrupted">> {
  const db = await DuckDBInstance.create(":memory:");
  const connection = await db.connect();
  const totals = { lost: 0, duplicated: 0, corrupted: 0 };
  const count = async (sql: string) => Number((await connection.runAndReadAll(sql)).getRows()[0]?.[0] ?? 0);
  /** A table's Parquet under a lake folder as a DuckDB source, or undefined when it has none. */
  const source = async (root: string, location: string) => {
    const glob = join(root, location, "**", "*.parquet").replace(/'/g, "''");
    const sql = `read_parquet('${glob}', hive_partitioning = true, union_by_name = true)`;
    try {
      await count(`SELECT count(*) FROM ${sql}`);
      return sql;
    } catch {
      return undefined; // No Parquet there (the table was never written, or was lost).
    }
  };
  try {
    for (const table of TABLES) {
      const theirs = await source(clean, table.location);
      if (!theirs) continue;
      const ours = await source(lake, table.location);
      if (!ours) {
        totals.lost += await count(`SELECT count(*) FROM ${theirs}`);
        continue;
      }
      const columns = (await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${theirs}`))
        .getRows()
        .map((row) => String(row[0]))
        .filter((name) => !PROVENANCE.has(name))
        .map((name) => `"${name.replace(/"/g, '""')}"`)
        .join(", ");
      const a = `(SELECT ${columns} FROM ${ours})`;
      const b = `(SELECT ${columns} FROM ${theirs})`;
      totals.lost += await count(`SELECT count(*) FROM (${b} EXCEPT ALL ${a})`);
      const extra = await count(`SELECT count(*) FROM (${a} EXCEPT ALL ${b})`);
      // Extra rows the clean run has none of are corrupted (a row hash, so NULLs compare equal); the rest are copies.
      const foreign = await count(
        `SELECT count(*) FROM ${ours} WHERE hash(${columns}) NOT IN (SELECT hash(${columns}) FROM ${theirs})`,
      );
      totals.corrupted += foreign;
      totals.duplicated += extra - foreign;
    }
  } finally {
    connection.closeSync();
    db.closeSync();
  }
  return totals;
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ").trim();
  } catch {
    return "";
  }
}

const ok = { lost: 0, duplicated: 0, corrupted: 0 };

const procHome: FaultCase = {
  name: "local: --home /proc/x",
  expected: "exits non-zero within seconds, in one line naming /proc/x and another --home; nothing built",
  async run() {
    const run = await startDemo(["--home", "/proc/x", ...SCALE], 30_000).done;
    return {
      happened: `exit ${run.code} in ${run.ms} ms: "${lastLine(run)}"`,
      ...ok,
      hung: run.hung,
      silentSuccess: run.code === 0,
    };
  },
};

const takenPort: FaultCase = {
  name: "local: --port already taken",
  expected: "exits non-zero before any stage, in one line naming --port 0 and --no-serve; nothing built",
  async run() {
    const taken: Server = createServer();
    await new Promise<void>((resolveListen) => taken.listen(0, "127.0.0.1", () => resolveListen()));
    const port = (taken.address() as { port: number }).port;
    const home = freshHome("port");
    try {
      const args = ["--home", home, "--port", String(port), ...SCALE.filter((arg) => arg !== "--no-serve")];
      const run = await startDemo(args, 60_000).done;
      const stages = (run.stdout.match(/^▶ /gm) ?? []).length;
      return {
        happened: `exit ${run.code} in ${run.ms} ms after ${stages} stages: "${lastLine(run)}"`,
        ...ok,
        hung: run.hung,
        silentSuccess: run.code === 0 || stages > 0,
      };
    } finally {
      taken.close();
    }
  },
};

/** The lake of the two-at-once case, reused (built) by the --force case. */
let builtHome: string | undefined;

const twoFresh: FaultCase = {
  name: "local: two demos at once on a fresh home",
  expected:
    "one builds the lake, the other exits non-zero before any work naming the holder and since when; the lake " +
    "equals a clean run's",
  async run() {
    const home = freshHome("two");
    const baseline = cleanLake();
    const [a, b] = await Promise.all([
      startDemo(["--home", home, ...SCALE]).done,
      startDemo(["--home", home, ...SCALE]).done,
    ]);
    builtHome = home;
    const counts = await compareLakes(join(home, "lake"), await baseline);
    const loser = [a, b].find((run) => run.code !== 0);
    const winners = [a, b].filter((run) => run.code === 0).length;
    return {
      happened: `exits ${a.code} and ${b.code}; ${loser ? `the other said "${lastLine(loser)}"` : "neither refused"}`,
      ...counts,
      hung: a.hung || b.hung,
      silentSuccess: winners !== 1 || counts.lost + counts.duplicated + counts.corrupted > 0,
    };
  },
};

const twoForce: FaultCase = {
  name: "local: two --force demos at once on a built home",
  expected:
    "one reruns every job, the other exits non-zero before any work; no mirror fails, the lake holds one run's part " +
    "files and equals a clean run's; a later run skips the unchanged jobs",
  async run() {
    const home = builtHome ?? freshHome("force");
    const args = ["--home", home, ...SCALE, "--force"];
    const [a, b] = await Promise.all([startDemo(args).done, startDemo(args).done]);
    const counts = await compareLakes(join(home, "lake"), await cleanLake());
    const later = await startDemo(["--home", home, ...SCALE]).done;
    const skipped = (later.stdout.match(/✓ (trusted-csv|trusted-tmdb|refined): inputs and code unchanged/g) ?? [])
      .length;
    const loser = [a, b].find((run) => run.code !== 0);
    return {
      happened:
        `exits ${a.code} and ${b.code}; ${loser ? `the other said "${lastLine(loser)}"` : "neither refused"}; ` +
        `a later run: exit ${later.code}, ${skipped} of 3 jobs skipped as unchanged`,
      ...counts,
      hung: a.hung || b.hung || later.hung,
      silentSuccess:
        [a, b].filter((run) => run.code === 0).length !== 1 || counts.lost + counts.duplicated + counts.corrupted > 0,
    };
  },
};

const killed: FaultCase = {
  name: "local: SIGKILL mid-demo, then rerun",
  expected:
    "no child process outlives the killed demo; the rerun resumes after the last finished stage (sample, ingests, " +
    "trusted-csv skipped) and the lake equals a clean run's",
  async run() {
    const home = freshHome("killed");
    const baseline = cleanLake();
    const demo = startDemo(["--home", home, ...SCALE]);
    let tree: number[] = [];
    const deadline = Date.now() + HANG_MS;
    // Killed while the second Spark job runs, its JVM up: the sample, both ingests and the CSV job are done by then.
    while (!(demo.output().includes("▶ trusted-tmdb") && tree.some((pid) => /\bjava\b/.test(commandLine(pid))))) {
      if (Date.now() > deadline) break;
      await new Promise((resolveWait) => setTimeout(resolveWait, 200));
      tree = [...treeMemory(demo.pid).peakKbByPid.keys()].filter((pid) => pid !== demo.pid);
    }
    demo.kill("SIGKILL");
    const first = await demo.done;
    const settle = Date.now() + 20_000;
    while (tree.some((pid) => commandLine(pid) !== "") && Date.now() < settle)
      await new Promise((resolveWait) => setTimeout(resolveWait, 250));
    const orphans = tree.filter((pid) => commandLine(pid) !== "");
    const names = orphans.map((pid) =>
      commandLine(pid)
        .split(" ")
        .find((part) => /moto|java|python|node/.test(part)),
    );
    // Left running, they would hold memory for good: ended here so the suite leaves nothing behind either.
    for (const pid of orphans)
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Ended meanwhile.
      }
    const rerun = await startDemo(["--home", home, ...SCALE]).done;
    const skipped = ["sample", "api-ingest", "trusted-csv"].filter(
      (stage) => latestReport(home)?.stages.find((result) => result.stage === stage)?.status === "skipped",
    );
    const resumedCsv = skipped.includes("trusted-csv");
    const counts = await compareLakes(join(home, "lake"), await baseline);
    return {
      happened:
        `killed ${first.signal === "SIGKILL" ? `at trusted-tmdb with ${tree.length} child processes` : `? (exit ${first.code})`}; ` +
        `${orphans.length} left after 20 s${orphans.length ? ` (${names.join(", ")})` : ""}; ` +
        `rerun: exit ${rerun.code} in ${(rerun.ms / 1000).toFixed(0)} s, ${resumedCsv ? "resumed (trusted-csv skipped)" : "started over"}` +
        ` [${skipped.join(", ") || "nothing"} skipped]`,
      ...counts,
      hung: first.hung || rerun.hung || orphans.length > 0,
      silentSuccess: rerun.code === 0 && counts.lost + counts.duplicated + counts.corrupted > 0,
    };
  },
};

/** The newest demo report in a home's lake folder, if any. */
function latestReport(home: string): DemoReport | undefined {
  const dir = join(home, "lake", "_system", "reports", "demo");
  try {
    return JSON.parse(readFileSync(join(dir, readdirSync(dir).sort().at(-1) as string), "utf8")) as DemoReport;
  } catch {
    return undefined;
  }
}

const clean: FaultCase = {
  name: "local: one demo on a fresh home (the clean run)",
  expected:
    "exits 0; every Refined table in the lake folder holds the rows the refined job reported; the other cases are " +
    "compared with this lake",
  async run() {
    const home = freshHome("clean");
    const run = await startDemo(["--home", home, ...SCALE]).done;
    reference = Promise.resolve(join(home, "lake"));
    const counts = { lost: 0, duplicated: 0, corrupted: 0 };
    let tables = 0;
    if (run.code === 0) {
      const reported = latestReport(home)?.stages.find((stage) => stage.stage === "refined")?.counts ?? {};
      const db = await DuckDBInstance.create(":memory:");
      const connection = await db.connect();
      try {
        for (const table of TABLES.filter((candidate) => `tables_${candidate.name}` in reported)) {
          const glob = join(home, "lake", table.location, "**", "*.parquet");
          const sql = `SELECT count(*) FROM read_parquet('${glob}', hive_partitioning = true)`;
          const found = Number((await connection.runAndReadAll(sql)).getRows()[0]?.[0] ?? 0);
          const expected = reported[`tables_${table.name}`] as number;
          counts.lost += Math.max(0, expected - found);
          counts.duplicated += Math.max(0, found - expected);
          tables++;
        }
      } finally {
        connection.closeSync();
        db.closeSync();
      }
    }
    return {
      happened: `exit ${run.code} in ${(run.ms / 1000).toFixed(0)} s; ${tables} Refined tables checked against the report${run.code === 0 ? "" : `: "${lastLine(run)}"`}`,
      ...counts,
      hung: run.hung,
      silentSuccess: run.code === 0 && tables === 0,
    };
  },
};

/** The local runner's fault cases, in order: the clean run first, since the others are compared with it. */
export const cases: FaultCase[] = [clean, procHome, takenPort, twoFresh, twoForce, killed];

/** Removes the cases' homes. */
export async function teardown(): Promise<void> {
  await reference?.catch(() => undefined);
  for (const home of homes) rmSync(home, { recursive: true, force: true });
}
