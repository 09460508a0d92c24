/**
 * `npx tsx bench/trusted/bench.ts [--scale full|small] [--titles N] [--work DIR] [--jobs csv,tmdb] [--rounds N]`: each
 * Trusted job (glue/trusted_csv.py, glue/trusted_tmdb.py on local Spark, through the same runner as `npm run job`)
 * against DuckDB doing the same conversion with the same typing and checks (bench/trusted/duckdb_trusted.py,
 * bench/trusted/duckdb_trusted_tmdb.py), on the same generated sample in the same run. Prints wall time and peak
 * memory (RSS of each whole process tree) side by side, their ratios, whether both produced the same counts (the
 * exit code is 1 when not), and where the Spark job's time goes (its run report's step durations; the rest is JVM and
 * session start-up). With `--rounds N` (default 1) the two run alternately N times: the figures are each side's
 * median wall time and highest peak, every round's ratio is printed, and the counts must agree in every round.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { DATASETS, lakeKey } from "../../lake/paths";
import { runJob, type JobOutcome } from "../../runtime/local/job";
import { choiceSetting, exitCodeOf, numberSetting, parseFlags } from "../../runtime/shared/flags";
import { interleave, localDriverHeap, measure, roundsLine, summarize, type Measured } from "../measure";
import { layOutLake } from "./lakeFromSample";

const REPO_ROOT = resolve(__dirname, "..", "..");
const DATE = "2024-06-01";

interface Counts {
  raw: number;
  trusted: number;
  quarantined: number;
  duplicates: number;
}

const pick = (c: Counts): Counts => ({
  raw: c.raw,
  trusted: c.trusted,
  quarantined: c.quarantined,
  duplicates: c.duplicates,
});
const pad = (text: string, width: number) => text.padEnd(width);
const num = (value: number, digits = 1) => value.toFixed(digits).padStart(9);

interface DuckReport {
  datasets: (Counts & { table: string; durations_s: Record<string, number> })[];
  seconds: number;
}

/**
 * Prints one job beside DuckDB over their rounds: each side's median wall time and highest peak memory, their ratios,
 * every round's ratio, whether the counts agree in every round, and where the median Spark run's time goes.
 */
function compare(title: string, sparkRuns: JobOutcome[], duckRuns: Measured[]): boolean {
  const spark = summarize(sparkRuns);
  const duck = summarize(duckRuns);
  const duckReport = JSON.parse(duck.median.stdout) as DuckReport;
  const countsOf = (run: JobOutcome) => JSON.stringify((run.report.datasets as Counts[]).map(pick));
  const duckCountsOf = (run: Measured) => JSON.stringify((JSON.parse(run.stdout) as DuckReport).datasets.map(pick));
  const sparkDatasets = JSON.parse(countsOf(spark.median)) as Counts[];
  const duckDatasets = duckReport.datasets.map(pick);
  console.log("");
  console.log(`== ${title}`);
  console.log(
    `rows: ${(spark.median.report.datasets as (Counts & { dataset: string })[]).map((d) => `${d.dataset} ${d.raw}`).join(", ")} (Raw records)`,
  );
  console.log(`${pad("", 40)}${"wall s".padStart(9)}${"peak MB".padStart(9)}`);
  const of = sparkRuns.length > 1 ? ` (median of ${sparkRuns.length})` : "";
  console.log(`${pad(`Spark job${of}`, 40)}${num(spark.seconds)}${num(spark.peakRssMb, 0)}`);
  console.log(`${pad(`DuckDB same conversion${of}`, 40)}${num(duck.seconds)}${num(duck.peakRssMb, 0)}`);
  console.log(
    `${pad("ratio Spark / DuckDB", 40)}${num(spark.seconds / duck.seconds)}${num(spark.peakRssMb / Math.max(1, duck.peakRssMb))}`,
  );
  if (sparkRuns.length > 1) console.log(roundsLine(["Spark", "DuckDB"], sparkRuns, duckRuns));
  const expected = countsOf(sparkRuns[0]!);
  const agree =
    sparkRuns.every((run) => countsOf(run) === expected) && duckRuns.every((run) => duckCountsOf(run) === expected);
  console.log(
    `same counts (raw, trusted, quarantined, duplicates)${of ? ", every round" : ""}: ${agree ? "yes" : "NO"}`,
  );
  if (!agree) console.log(`  spark ${JSON.stringify(sparkDatasets)}\n  duckdb ${JSON.stringify(duckDatasets)}`);
  console.log(`where the Spark job's time goes (its run report${of ? ", the median run" : ""}):`);
  const steps = spark.median.report.durations_s as Record<string, number>;
  const inSteps = Object.values(steps).reduce((sum, value) => sum + value, 0);
  // The jobs run their datasets side by side, so their steps can overlap: the rest of the wall time is only known
  // (as start-up and the like) when the steps add up to less than it.
  const rows: [string, number][] = Object.entries(steps);
  const wall = spark.median.seconds;
  if (inSteps <= wall) rows.push(["JVM + session start-up, listing, report, exit", wall - inSteps]);
  else console.log(`  (the datasets run side by side: their steps overlap, ${num(inSteps)} s in all)`);
  for (const [step, seconds] of rows)
    console.log(`  ${pad(step, 64)}${num(seconds)} s ${num((100 * seconds) / wall)} %`);
  console.log(`DuckDB's steps (s${of ? ", the median run" : ""}):`);
  for (const dataset of duckReport.datasets)
    for (const [step, seconds] of Object.entries(dataset.durations_s))
      console.log(`  ${pad(`${dataset.table}: ${step}`, 64)}${num(seconds)} s`);
  return agree;
}

async function main(): Promise<void> {
  const { values } = parseFlags({
    options: {
      scale: { type: "string" },
      titles: { type: "string" },
      work: { type: "string" },
      jobs: { type: "string" },
      rounds: { type: "string" },
    },
  });
  const scale = choiceSetting("--scale", values.scale, ["full", "small"]) ?? "full";
  // Handed to the sample generator as text; checked here so a typo fails before any work.
  numberSetting("--titles", values.titles, { min: 2, example: 10_000 });
  const rounds = numberSetting("--rounds", values.rounds, { min: 1, example: 3 }) ?? 1;
  const jobs = (values.jobs ?? "csv,tmdb").split(",");
  for (const job of jobs) choiceSetting("--jobs", job, ["csv", "tmdb"]);
  const work = resolve(values.work ?? join(REPO_ROOT, ".cache", `bench-trusted-${values.titles ?? scale}`));
  const sampleDir = join(work, "sample");
  if (!existsSync(join(sampleDir, "series.csv"))) {
    const sizing = values.titles ? ["--titles", values.titles] : ["--scale", scale];
    const generated = spawnSync("npx", ["tsx", "runtime/sample/cli.ts", sampleDir, ...sizing, "--seed", "1"], {
      cwd: REPO_ROOT,
      stdio: "inherit",
    });
    if (generated.status !== 0) throw new Error("sample generation failed");
  }
  const lakeDir = join(work, "lake");
  rmSync(lakeDir, { recursive: true, force: true });
  mkdirSync(lakeDir, { recursive: true });
  const laid = await layOutLake(sampleDir, lakeDir, DATE, 100, jobs.includes("tmdb"));
  console.log(`bench/trusted: sample ${sampleDir} (${scale}${values.titles ? `, ${values.titles} titles` : ""})`);

  const roundLabel = (round: number) => (rounds > 1 ? `[round ${round}/${rounds}] ` : "");
  let agree = true;
  if (jobs.includes("csv")) {
    const [moviesCsv, seriesCsv] = laid.csvFiles.map((key) => join(lakeDir, key)) as [string, string];
    const runs = await interleave(rounds, {
      spark: (round) => {
        console.log(
          `${roundLabel(round)}running the CSV job on local Spark (local[*], driver heap ${localDriverHeap()}) ...`,
        );
        return runJob({ job: "trusted-csv", lakeDir, date: DATE, echo: false });
      },
      duck: (round) => {
        console.log(`${roundLabel(round)}running DuckDB's CSV conversion (same checks and types, one connection) ...`);
        return measure("python3", [
          "bench/trusted/duckdb_trusted.py",
          join(work, "duckdb-out"),
          moviesCsv,
          "trusted_movies",
          seriesCsv,
          "trusted_series",
        ]);
      },
    });
    agree = compare("CSV job (trusted_csv)", runs.spark, runs.duck) && agree;
  }
  if (jobs.includes("tmdb")) {
    console.log(
      `TMDB records laid out: ${JSON.stringify(laid.tmdbRecords)} in ${JSON.stringify(laid.tmdbFiles)} files`,
    );
    const rawDir = (dataset: (typeof DATASETS)[keyof typeof DATASETS]) =>
      join(lakeDir, dirname(lakeKey({ ...dataset, date: DATE, file: "x.json" })));
    const runs = await interleave(rounds, {
      spark: (round) => {
        console.log(
          `${roundLabel(round)}running the TMDB job on local Spark (local[*], driver heap ${localDriverHeap()}) ...`,
        );
        return runJob({ job: "trusted-tmdb", lakeDir, date: DATE, echo: false });
      },
      duck: (round) => {
        console.log(
          `${roundLabel(round)}running DuckDB's TMDB conversion (same schema, checks and dedupe, one connection) ...`,
        );
        return measure("python3", [
          "bench/trusted/duckdb_trusted_tmdb.py",
          join(work, "duckdb-tmdb-out"),
          DATE,
          "movies",
          rawDir(DATASETS.rawTmdbMovies),
          "series",
          rawDir(DATASETS.rawTmdbSeries),
        ]);
      },
    });
    agree = compare("TMDB job (trusted_tmdb)", runs.spark, runs.duck) && agree;
  }
  if (!agree) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(`bench/trusted: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(exitCodeOf(error));
});
