/** What every benchmark measures of a command it runs: wall time, peak memory of its process tree, its stdout. */
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { trackPeakMemory } from "../runtime/local/job";

const REPO_ROOT = resolve(__dirname, "..");

/** A measured run of a command. */
export interface Measured {
  /** Wall time in seconds. */
  seconds: number;
  /** Peak resident memory in MB: each process's high-water mark, summed over the tree (an upper bound). */
  peakRssMb: number;
  /** What the command printed on stdout (its stderr goes to ours). */
  stdout: string;
}

/** Runs a command from the repository root and measures it; rejects when it exits non-zero. */
export async function measure(command: string, args: string[]): Promise<Measured> {
  const started = performance.now();
  const child = spawn(command, args, { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "inherit"] });
  let stdout = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  const memory = trackPeakMemory(child.pid);
  const code = await new Promise<number | null>((done) => child.once("close", done));
  const peakRssMb = memory.stop();
  if (code !== 0) throw new Error(`${command} ${args.join(" ")} exited with ${code}`);
  return { seconds: (performance.now() - started) / 1000, peakRssMb, stdout };
}

/** The local Spark driver's heap the jobs run with: CINELAKE_DRIVER_MEMORY, else the session's default (1280m, as
 * LOCAL_DRIVER_MEMORY in glue/cinelake/session.py). */
export function localDriverHeap(env: NodeJS.ProcessEnv = process.env): string {
  return env.CINELAKE_DRIVER_MEMORY ?? "1280m";
}

/** The median of some numbers: the middle one, or the mean of the middle two. */
export function median(values: number[]): number {
  if (values.length === 0) throw new Error("median of no values");
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * Runs `rounds` rounds of the sides, each round running every side once, in order. On a shared machine, speed drifts
 * by tens of percent within minutes; interleaved, each side meets the slow and the fast moments alike, and the
 * median of each side is compared with the others'. Returns each side's runs, in round order.
 */
export async function interleave<Sides extends Record<string, (round: number) => Promise<unknown>>>(
  rounds: number,
  sides: Sides,
): Promise<{ [Name in keyof Sides]: Awaited<ReturnType<Sides[Name]>>[] }> {
  const runs: Record<string, unknown[]> = Object.fromEntries(Object.keys(sides).map((name) => [name, []]));
  for (let round = 1; round <= rounds; round++)
    for (const [name, run] of Object.entries(sides)) runs[name]!.push(await run(round));
  return runs as { [Name in keyof Sides]: Awaited<ReturnType<Sides[Name]>>[] };
}

/** Several runs of one side, summed up: the median wall time, the highest peak memory, and the run whose wall time
 * is the median (the one whose details a bench prints). */
export interface Summary<T> {
  seconds: number;
  peakRssMb: number;
  median: T;
}

/** Sums up the runs of one side (see Summary). */
export function summarize<T extends { seconds: number; peakRssMb: number }>(runs: T[]): Summary<T> {
  const byTime = [...runs].sort((a, b) => a.seconds - b.seconds);
  return {
    seconds: median(runs.map((run) => run.seconds)),
    peakRssMb: Math.max(...runs.map((run) => run.peakRssMb)),
    median: byTime[Math.floor((byTime.length - 1) / 2)]!,
  };
}

/** One line of every round's wall times and their ratio, e.g. `rounds (Spark / DuckDB): 41.2 / 8.1 = 5.09, ...`. */
export function roundsLine(names: [string, string], ours: { seconds: number }[], reference: { seconds: number }[]) {
  const rounds = ours.map(
    (run, i) =>
      `${run.seconds.toFixed(1)} / ${reference[i]!.seconds.toFixed(1)} = ${(run.seconds / reference[i]!.seconds).toFixed(2)}`,
  );
  return `rounds (${names[0]} s / ${names[1]} s = ratio): ${rounds.join(", ")}`;
}
