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
