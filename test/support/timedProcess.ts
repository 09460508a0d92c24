/**
 * A child process watched for hangs, for the tests and the fault suite: its output collected, killed with SIGKILL and
 * marked hung when it outlives its limit, and the promise of how it ended.
 */
import { spawn, type SpawnOptions } from "node:child_process";

/** How a watched process ended. */
export interface TimedRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Milliseconds from spawn to exit. */
  ms: number;
  /** True when it had to be killed because it outlived `hangMs`. */
  hung: boolean;
}

/** A started process: its pid, `kill`, its output so far, and the promise of how it ended. */
export interface TimedProcess {
  pid: number;
  kill(signal: NodeJS.Signals): void;
  output(): string;
  done: Promise<TimedRun>;
}

/** Spawns `command args` (stdout and stderr piped) and kills it with SIGKILL after `hangMs`. */
export function startTimed(command: string, args: string[], options: SpawnOptions, hangMs: number): TimedProcess {
  const started = performance.now();
  const child = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  let hung = false;
  const timer = setTimeout(() => {
    hung = true;
    child.kill("SIGKILL");
  }, hangMs);
  const done = new Promise<TimedRun>((resolve) =>
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Math.round(performance.now() - started), hung });
    }),
  );
  return { pid: child.pid as number, kill: (signal) => child.kill(signal), output: () => stdout + stderr, done };
}

/** Whether a process with this pid still runs: signal 0 checks that it exists without touching it. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
