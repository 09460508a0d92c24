/**
 * bench/e2e (not a test): `npm run demo -- --no-serve` at full scale on this machine, the ApiIngestor on a bounded
 * selection; prints time and peak memory per stage from the demo's run report, the whole process tree's peak, and the
 * total against the 5-minute target.
 *
 * usage: npx tsx bench/e2e/run.ts [--home DIR] [--scale full|small] [--tmdb-limit N] [--fresh]
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { reportPrefix } from "../../lake/paths";
import { trackPeakMemory } from "../../runtime/local/job";
import { formatReport, type DemoReport } from "../../runtime/local/report";
import { choiceSetting, flagsOrExit, numberSetting, parseFlags } from "../../runtime/shared/flags";

const TARGET_SECONDS = 300;

const { values, scale, tmdbLimit } = flagsOrExit("bench/e2e", () => {
  const { values } = parseFlags({
    options: {
      home: { type: "string" },
      scale: { type: "string" },
      "tmdb-limit": { type: "string" },
      fresh: { type: "boolean" },
    },
  });
  return {
    values,
    scale: choiceSetting("--scale", values.scale, ["full", "small"]) ?? "full",
    // Handed to the demo as text; checked here so a typo fails before the run, not minutes into it.
    tmdbLimit: String(numberSetting("--tmdb-limit", values["tmdb-limit"], { min: 1, example: 2000 }) ?? 2000),
  };
});
const home = resolve(values.home ?? ".lake-bench");

/** The newest demo report in the lake folder. */
function latestReport(lakeDir: string): DemoReport {
  const dir = join(lakeDir, reportPrefix("demo"));
  const files = readdirSync(dir)
    .filter((name) => name.endsWith(".json"))
    .sort();
  const newest = files.at(-1);
  if (!newest) throw new Error(`no demo report under ${dir}`);
  return JSON.parse(readFileSync(join(dir, newest), "utf8")) as DemoReport;
}

async function runDemo(label: string): Promise<{ report: DemoReport; wallSeconds: number; treePeakMb: number }> {
  const args = [
    "tsx",
    "runtime/local/demo.ts",
    "--no-serve",
    "--scale",
    scale,
    "--tmdb-limit",
    tmdbLimit,
    "--home",
    home,
  ];
  console.log(`\n== ${label}: npx ${args.join(" ")}`);
  const start = performance.now();
  const child = spawn("npx", args, { stdio: ["ignore", "ignore", "inherit"] });
  const memory = trackPeakMemory(child.pid);
  const code = await new Promise<number>((done) => child.once("exit", (exit) => done(exit ?? 1)));
  const treePeakMb = memory.stop();
  if (code !== 0) throw new Error(`the demo failed (exit ${code}); run it by hand to see which stage`);
  return { report: latestReport(join(home, "lake")), wallSeconds: (performance.now() - start) / 1000, treePeakMb };
}

async function main(): Promise<void> {
  if (values.fresh && existsSync(home)) rmSync(home, { recursive: true, force: true });
  const first = await runDemo("first run (everything built)");
  console.log(formatReport(first.report));
  const rerun = await runDemo("rerun (incremental: same sample, same day)");
  console.log(formatReport(rerun.report));
  console.log("\n== figures");
  for (const [label, run] of [
    ["first run", first],
    ["rerun", rerun],
  ] as const)
    console.log(
      `${label}: ${run.wallSeconds.toFixed(1)} s wall (target ${TARGET_SECONDS} s → ${(run.wallSeconds / TARGET_SECONDS).toFixed(2)}× of target), ` +
        `peak memory of the whole process tree (sum of each process's high-water mark) ${run.treePeakMb} MB`,
    );
  console.log(
    `rerun / first run: ${(rerun.wallSeconds / first.wallSeconds).toFixed(2)}× (scale ${scale}, ApiIngestor limit ${tmdbLimit} titles)`,
  );
}

void main().catch((error: unknown) => {
  console.error((error as Error).message);
  process.exit(1);
});
