/**
 * Leases on local folders, so a command that must run alone on a folder (`npm run demo` on its `--home`,
 * `npm run sample` on its output folder, `npm run job` and `npm run catalog` on a `--lake-dir`) refuses to start while
 * another holds it, naming the holder and since when (issue 13 #2, #12).
 *
 * A lease is a lock file `<folder>/.cinelake.lock`, created exclusively (`wx`, i.e. O_CREAT | O_EXCL, so of two
 * commands starting at once exactly one creates it), holding the holder's pid, host, start time and command. It is
 * removed when the holder exits (also on Ctrl-C and SIGTERM, which the commands turn into an exit) and, when the
 * holder was SIGKILLed, taken over by the next command once it sees that the pid on this host is no longer running.
 */
import { randomUUID } from "node:crypto";
import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ensureDirectory } from "./folders";

/** The lock file's name inside a leased folder. */
export const LOCK_FILE = ".cinelake.lock";

/** Who holds a lease, as written in its lock file. */
export interface LeaseHolder {
  /** The holder's process id. */
  pid: number;
  /** The host it runs on (a pid is only checked on the same host). */
  host: string;
  /** When it took the lease (ISO 8601). */
  since: string;
  /** What it is, e.g. `npm run demo`. */
  command: string;
  /** The kernel's start time of the process (Linux), so a reused pid is not taken for the holder. */
  procStart?: string;
  /** Tells this holder's lock file from a later one with the same pid. */
  token: string;
}

/** A lease another live process holds. */
export class FolderInUse extends Error {
  constructor(
    readonly folder: string,
    readonly holder: LeaseHolder,
    fix = "wait for it to end, or stop it",
  ) {
    super(
      `${folder} is in use by ${holder.command} (pid ${holder.pid} on ${holder.host}, since ${holder.since}): ${fix}`,
    );
    this.name = "FolderInUse";
  }
}

/** A lease this process holds. */
export interface FolderLease {
  /** The leased folder. */
  folder: string;
  /** Its lock file. */
  file: string;
  /** Removes the lock file when it is still ours (also done on exit). */
  release(): void;
}

/** The kernel's start time of a process (field 22 of /proc/<pid>/stat), or undefined where there is no /proc. */
export function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) is in parentheses and may hold spaces: count fields after its closing one.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

/** True unless the holder is known to be gone: same host, and its pid is not running (or now runs another process). */
export function holderAlive(holder: LeaseHolder): boolean {
  if (holder.host !== hostname()) return true; // Another machine's process cannot be checked from here.
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return false;
  }
  const start = processStart(holder.pid);
  return !(holder.procStart && start && start !== holder.procStart);
}

function readHolder(file: string): LeaseHolder | undefined {
  try {
    const holder = JSON.parse(readFileSync(file, "utf8")) as LeaseHolder;
    return typeof holder.pid === "number" && typeof holder.token === "string" ? holder : undefined;
  } catch {
    return undefined;
  }
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException)?.code;
}

/** How old a lock file whose content cannot be read (its writer died between create and write) may get. */
const UNREADABLE_STALE_MS = 5_000;
/** How old a takeover marker may get before it is deemed left by a process that died while taking over. */
const TAKEOVER_STALE_MS = 10_000;

/**
 * Takes the lease on `folder` (created when missing), or throws {@link FolderInUse} naming the live holder. A lock
 * file left by a dead holder on this host is taken over; the takeover itself is guarded by a second exclusive file,
 * so two commands finding the same stale lock cannot both take it.
 */
export async function acquireFolderLease(
  folder: string,
  command: string,
  what = folder,
  fix?: string,
): Promise<FolderLease> {
  const dir = ensureDirectory(folder, what);
  const file = join(dir, LOCK_FILE);
  const me: LeaseHolder = {
    pid: process.pid,
    host: hostname(),
    since: new Date().toISOString(),
    command,
    procStart: processStart(process.pid),
    token: randomUUID(),
  };
  for (let attempt = 0; attempt < 500; attempt++) {
    try {
      const fd = openSync(file, "wx");
      try {
        writeSync(fd, JSON.stringify(me));
      } finally {
        closeSync(fd);
      }
      return held(dir, file, me);
    } catch (error) {
      if (errorCode(error) !== "EEXIST") throw error;
    }
    const holder = readHolder(file);
    if (holder && holderAlive(holder)) throw new FolderInUse(what, holder, fix);
    if (!holder && ageMs(file) < UNREADABLE_STALE_MS) {
      // Just created by another command that has not written its name yet: look again shortly.
      await sleep(20);
      continue;
    }
    await takeOver(file, holder);
  }
  throw new Error(`could not take the lease on ${what}: its lock file ${file} keeps changing`);
}

function ageMs(file: string): number {
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

/** Removes a dead holder's lock file, unless another command took it over first (then the caller looks again). */
async function takeOver(file: string, stale: LeaseHolder | undefined): Promise<void> {
  const marker = `${file}.takeover`;
  let fd: number;
  try {
    fd = openSync(marker, "wx");
  } catch (error) {
    if (errorCode(error) !== "EEXIST") throw error;
    if (ageMs(marker) > TAKEOVER_STALE_MS) unlinkSync(marker);
    else await sleep(20);
    return;
  }
  try {
    const now = readHolder(file);
    // Only the lock file we judged stale is removed: a new holder's (same name, another token) is left alone.
    if (now?.token === stale?.token)
      try {
        unlinkSync(file);
      } catch (error) {
        if (errorCode(error) !== "ENOENT") throw error;
      }
  } finally {
    closeSync(fd);
    unlinkSync(marker);
  }
}

function held(folder: string, file: string, me: LeaseHolder): FolderLease {
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.removeListener("exit", release);
    if (readHolder(file)?.token === me.token)
      try {
        unlinkSync(file);
      } catch {
        // Already gone: nothing to release.
      }
  };
  // 'exit' also runs after process.exit() and, once a command turns SIGINT/SIGTERM into an exit, after a signal.
  process.on("exit", release);
  return { folder, file, release };
}

/**
 * Takes the leases on several folders, in order; when one is held by another command, releases those taken and
 * throws its {@link FolderInUse}.
 */
export async function acquireFolderLeases(
  folders: { folder: string; what?: string }[],
  command: string,
  fix?: string,
): Promise<FolderLease[]> {
  const leases: FolderLease[] = [];
  try {
    for (const { folder, what } of folders) leases.push(await acquireFolderLease(folder, command, what, fix));
  } catch (error) {
    for (const lease of leases) lease.release();
    throw error;
  }
  return leases;
}
