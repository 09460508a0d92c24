/**
 * `npx tsx bench/refined/bench.ts [--scale full|small] [--titles N] [--work DIR] [--rounds N]`: the Refined job
 * (glue/refined.py on local Spark, through the same runner as `npm run job`) beside DuckDB building the same model in
 * SQL (bench/refined/duckdb_refined.py), over the same Trusted zone in the same run. The Trusted zone is made once from
 * a generated sample (its CSVs and the TMDB stand-in's details, run through both Trusted jobs) and reused by later
 * runs. Prints wall time and peak memory side by side, their ratios, each table's row count from both, and where the
 * Spark job's time goes. Beside them, Spark's floor (bench/refined/spark_floor.py): starting Spark, reading the Trusted
 * columns the job reads and writing the same 11 tables again, with no transformation, which bounds the ratio any Spark
 * job of this model reaches. With `--rounds N` (default 1) the three run in turn N times: the figures are each one's
 * median wall time and highest peak, every round's ratio is printed, and the row counts must agree in every round.
 * The exit code is 1 when they do not.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { runJob } from "../../runtime/local/job";
import { choiceSetting, exitCodeOf, numberSetting, parseFlags } from "../../runtime/shared/flags";
import { interleave, localDriverHeap, measure, roundsLine, summarize } from "../measure";
import { layOutLake } from "../trusted/lakeFromSample";

const REPO_ROOT = resolve(__dirname, "..", "..");
const DATE = "2024-06-01";

const pad = (text: string, width: number) => text.padEnd(width);
/** Room for the longest label, `Spark's floor, its steps' sum (the median run)`, so the figures line up. */
const LABEL_WIDTH = 48;
const num = (value: number, digits = 1) => value.toFixed(digits).padStart(10);

/** Generates the sample and runs both Trusted jobs, unless a previous run left a complete Trusted zone. */
async function trustedZone(work: string, scale: string, titles?: string): Promise<string> {
  const lakeDir = join(work, "lake");
  const done = join(work, "trusted.done");
  if (existsSync(done)) return lakeDir;
  const sampleDir = join(work, "sample");
  if (!existsSync(join(sampleDir, "series.csv"))) {
    const sizing = titles ? ["--titles", titles] : ["--scale", scale];
    const generated = spawnSync("npx", ["tsx", "runtime/sample/cli.ts", sampleDir, ...sizing, "--seed", "1"], {
      cwd: REPO_ROOT,
      stdio: "inherit",
    });
    if (generated.status !== 0) throw new Error("sample generation failed");
  }
  rmSync(lakeDir, { recursive: true, force: true });
  mkdirSync(lakeDir, { recursive: true });
  const laid = await layOutLake(sampleDir, lakeDir, DATE);
  console.log(`Raw zone: ${JSON.stringify(laid.tmdbRecords)} TMDB records; running the Trusted jobs once ...`);
  const csv = await runJob({ job: "trusted-csv", lakeDir, date: DATE, echo: false });
  const tmdb = await runJob({ job: "trusted-tmdb", lakeDir, date: DATE, echo: false });
  console.log(`trusted-csv ${csv.seconds.toFixed(1)} s, trusted-tmdb ${tmdb.seconds.toFixed(1)} s`);
  spawnSync("touch", [done]);
  return lakeDir;
}

async function main(): Promise<void> {
  const { values } = parseFlags({
    options: {
      scale: { type: "string" },
      titles: { type: "string" },
      work: { type: "string" },
      rounds: { type: "string" },
    },
  });
  const rounds = numberSetting("--rounds", values.rounds, { min: 1, example: 3 }) ?? 1;
  const scale = choiceSetting("--scale", values.scale, ["full", "small"]) ?? "full";
  // Handed to the sample generator as text; checked here so a typo fails before any work.
  numberSetting("--titles", values.titles, { min: 2, example: 10_000 });
  const work = resolve(values.work ?? join(REPO_ROOT, ".cache", `bench-refined-${values.titles ?? scale}`));
  const lakeDir = await trustedZone(work, scale, values.titles);

  console.log(`bench/refined: Trusted zone ${lakeDir} (${values.titles ? `${values.titles} titles` : scale})`);
  const roundLabel = (round: number) => (rounds > 1 ? `[round ${round}/${rounds}] ` : "");
  const duckOut = join(work, "duckdb-refined");
  const floorOut = join(work, "spark-floor");
  const runs = await interleave(rounds, {
    spark: (round) => {
      console.log(
        `${roundLabel(round)}running the Refined job on local Spark (local[*], driver heap ${localDriverHeap()}) ...`,
      );
      return runJob({ job: "refined", lakeDir, date: "latest", echo: false });
    },
    duck: (round) => {
      console.log(`${roundLabel(round)}running DuckDB building the same model in SQL (one connection) ...`);
      rmSync(duckOut, { recursive: true, force: true });
      return measure("python3", ["bench/refined/duckdb_refined.py", lakeDir, duckOut]);
    },
    floor: (round) => {
      console.log(
        `${roundLabel(round)}running Spark's floor: start, read what the job reads of Trusted, write the 11 tables again ...`,
      );
      rmSync(floorOut, { recursive: true, force: true });
      return measure("python3", ["bench/refined/spark_floor.py", lakeDir, floorOut]);
    },
  });
  // Each side's median wall time and highest peak; the tables, steps and counts shown are its median run's.
  const spark = summarize(runs.spark);
  const duck = summarize(runs.duck);
  const floor = summarize(runs.floor);
  type DuckReport = { tables: Record<string, number>; seconds: number };
  type FloorReport = {
    rows: Record<string, number>;
    seconds: {
      start: number;
      "read what the job reads of Trusted": number;
      "write the Refined tables": number;
      total: number;
    };
  };
  const duckReportOf = (run: { stdout: string }) => JSON.parse(run.stdout) as DuckReport;
  // Its report is the last line: Spark's launcher prints Ivy's settings line on stdout before it.
  const floorReportOf = (run: { stdout: string }) =>
    JSON.parse(run.stdout.trim().split("\n").pop() ?? "") as FloorReport;
  const duckReport = duckReportOf(duck.median);
  const floorReport = floorReportOf(floor.median);
  const sparkTables = spark.median.report.tables as Record<string, number>;
  const inputs = spark.median.report.inputs as Record<string, number>;

  console.log("");
  console.log(
    `input: ${inputs.trusted_movies_rows} + ${inputs.trusted_series_rows} Trusted CSV rows, ` +
      `${inputs.trusted_titles} titles, ${inputs.tmdb_ids_read} TMDB ids (${inputs.titles_enriched} titles enriched)`,
  );
  console.log(`${pad("", LABEL_WIDTH)}${"wall s".padStart(10)}${"peak MB".padStart(10)}`);
  const of = rounds > 1 ? ` (median of ${rounds})` : "";
  console.log(`${pad(`Spark Refined job${of}`, LABEL_WIDTH)}${num(spark.seconds)}${num(spark.peakRssMb, 0)}`);
  console.log(`${pad(`DuckDB same model in SQL${of}`, LABEL_WIDTH)}${num(duck.seconds)}${num(duck.peakRssMb, 0)}`);
  console.log(
    `${pad("ratio Spark / DuckDB", LABEL_WIDTH)}${num(spark.seconds / duck.seconds)}` +
      `${num(spark.peakRssMb / Math.max(1, duck.peakRssMb))}`,
  );
  if (rounds > 1) {
    console.log(roundsLine(["Spark", "DuckDB"], runs.spark, runs.duck));
    console.log(roundsLine(["floor", "DuckDB"], runs.floor, runs.duck));
  }
  console.log("");
  // What any Spark job producing these tables must at least do, measured the same way: the ratio a faster job of
  // ours could still reach is bounded by it.
  const floorSteps = floorReport.seconds;
  const mustDo = floorSteps.start + floorSteps["write the Refined tables"];
  // Its own steps' sum: the process also plans the job once (to find the columns it reads) and counts what it wrote.
  const median = rounds > 1 ? " (the median run)" : "";
  console.log(
    `${pad(`Spark's floor, its steps' sum${median || " (spark_floor.py)"}`, LABEL_WIDTH)}${num(floorSteps.total)}${num(floor.peakRssMb, 0)}`,
  );
  for (const [step, seconds] of Object.entries(floorSteps).filter(([step]) => step !== "total"))
    console.log(`  ${pad(step, LABEL_WIDTH - 2)}${num(seconds)} s ${num(seconds / duck.seconds, 2)} × DuckDB`);
  console.log(
    `  ${pad("start + write (no job can skip)", LABEL_WIDTH - 2)}${num(mustDo)} s ${num(mustDo / duck.seconds, 2)} × DuckDB`,
  );
  console.log("");
  console.log(`${pad("rows per table", LABEL_WIDTH)}${"Spark".padStart(10)}${"DuckDB".padStart(10)}`);
  const expected = JSON.stringify(sparkTables);
  const sameInEveryRound =
    runs.spark.every((run) => JSON.stringify(run.report.tables) === expected) &&
    runs.duck.every((run) => JSON.stringify(duckReportOf(run).tables) === JSON.stringify(duckReport.tables));
  let agree = sameInEveryRound;
  for (const [name, rows] of Object.entries(sparkTables)) {
    const other = duckReport.tables[name] ?? -1;
    agree &&= other === rows;
    console.log(`${pad(`  ${name}`, LABEL_WIDTH)}${String(rows).padStart(10)}${String(other).padStart(10)}`);
  }
  console.log(`same row counts in every table${rounds > 1 ? " and every round" : ""}: ${agree ? "yes" : "NO"}`);
  const floorAgrees = runs.floor.every((run) =>
    Object.entries(sparkTables).every(([name, rows]) => floorReportOf(run).rows[name] === rows),
  );
  console.log(`Spark's floor wrote the same rows: ${floorAgrees ? "yes" : "NO"}`);
  if (!agree || !floorAgrees) process.exitCode = 1;
  console.log("");
  console.log(`where the Spark job's time goes (its run report${median}):`);
  const steps = spark.median.report.durations_s as Record<string, number>;
  const inSteps = Object.values(steps).reduce((sum, value) => sum + value, 0);
  const wall = spark.median.seconds;
  for (const [step, seconds] of [
    ...Object.entries(steps),
    ["JVM + session start-up, counts, report", wall - inSteps],
  ] as [string, number][])
    console.log(`  ${pad(step, LABEL_WIDTH - 2)}${num(seconds)} s ${num((100 * seconds) / wall)} %`);
}

main().catch((error: unknown) => {
  console.error(`bench/refined: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(exitCodeOf(error));
});
