/**
 * Child processes that die with the command that started them (issue 13 #9): moto_server, Spark's Python driver (and
 * the JVM and workers it starts), the DuckDB catalog builder. Each is started in a process group of its own
 * (`detached`), so the whole tree can be signalled at once; the groups are sent SIGTERM when the command exits
 * (normally, by `process.exit`, or on a signal the command turns into an exit, see {@link exitOnSignals}); and since a
 * SIGKILLed command runs no code at all, a parent-death guard (`watchdog.mjs`, one per command, in its own group)
 * holds a pipe from the command and ends the groups when that pipe closes.
 */
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import type { Socket } from "node:net";
import { join } from "node:path";

const WATCHDOG = join(__dirname, "watchdog.mjs");

/** Process groups started by this command and not yet seen to end. */
const groups = new Set<number>();
let watchdog: ChildProcess | undefined;
let exitHookInstalled = false;

function tell(line: string): void {
  watchdog?.stdin?.write(`${line}\n`);
}

function startWatchdog(): void {
  if (watchdog && watchdog.exitCode === null && watchdog.signalCode === null) return;
  watchdog = spawn(process.execPath, [WATCHDOG], { detached: true, stdio: ["pipe", "ignore", "ignore"] });
  watchdog.on("error", () => {
    // Without the guard only the SIGKILL case is uncovered; the exit hook still ends the groups.
  });
  watchdog.stdin?.on("error", () => {});
  // The guard must not keep the command alive: neither its process nor its pipe holds the event loop.
  watchdog.unref();
  (watchdog.stdin as Socket | null)?.unref();
  for (const pgid of groups) tell(`+${pgid}`);
}

/** Sends a signal to a whole process group; false when the group is gone. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Sends a signal to every process group this command started that is still running. */
export function signalOwnedProcesses(signal: NodeJS.Signals = "SIGTERM"): void {
  for (const pgid of groups) signalGroup(pgid, signal);
}

/** The process groups this command started that are still running (for tests and the fault suite). */
export function ownedProcessGroups(): number[] {
  return [...groups];
}

/**
 * `child_process.spawn` in a process group of the child's own, registered with the parent-death guard; when the
 * child itself exits, what it left running in its group is sent SIGTERM too. Errors (a missing command) are reported
 * as by `spawn`, through the child's `error` event.
 */
export function spawnOwned(command: string, args: string[], options: SpawnOptions = {}): ChildProcess {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on("exit", () => signalOwnedProcesses("SIGTERM"));
  }
  startWatchdog();
  const child = spawn(command, args, { ...options, detached: true });
  const pgid = child.pid;
  if (pgid !== undefined) {
    groups.add(pgid);
    tell(`+${pgid}`);
    child.once("exit", () => {
      signalGroup(pgid, "SIGTERM");
      groups.delete(pgid);
      tell(`-${pgid}`);
    });
  }
  return child;
}

/** Ends a child's whole group: SIGTERM, then SIGKILL after `graceMs`; resolves once the child has exited. */
export async function stopOwned(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  signalGroup(child.pid, "SIGTERM");
  const timer = setTimeout(() => child.pid !== undefined && signalGroup(child.pid, "SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Exit codes of the signals a command turns into an exit: 128 + the signal's number, as shells report them. */
const SIGNAL_EXIT: [NodeJS.Signals, number][] = [
  ["SIGINT", 130],
  ["SIGTERM", 143],
  ["SIGHUP", 129],
];

/**
 * Turns SIGINT, SIGTERM and SIGHUP into an exit with 128 + the signal's number, after printing the one line
 * `describe` returns; the exit then runs the 'exit' hooks (child groups ended, leases released). Returns a function
 * removing the handlers.
 */
export function exitOnSignals(describe: (signal: NodeJS.Signals) => string): () => void {
  const handlers = SIGNAL_EXIT.map(([signal, code]) => {
    const handler = () => {
      process.stderr.write(`${describe(signal)}\n`);
      process.exit(code);
    };
    process.once(signal, handler);
    return [signal, handler] as const;
  });
  return () => {
    for (const [signal, handler] of handlers) process.removeListener(signal, handler);
  };
}
