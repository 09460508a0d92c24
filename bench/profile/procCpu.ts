/**
 * CPU time of this process's descendants by role, sampled from /proc: Spark's Python workers (`pyspark.daemon` and
 * the workers it forks), the JVM, the job's Python driver and the S3 API server. Spark's event log has no Python
 * worker time of its own, and the local S3 API server's own work is not in any Spark metric: /proc has both.
 */
import { readFileSync, readdirSync } from "node:fs";
import { nowMs } from "./s3Timing";

/** The roles a process of the tree is counted under. */
export type Role = "pythonWorkers" | "jvm" | "pythonDriver" | "s3Server" | "other";

/** One sample: when, and each role's cumulative CPU seconds up to then. */
export interface CpuSample {
  time: number;
  seconds: Record<Role, number>;
}

/** The clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux for decades). */
const TICKS_PER_SECOND = 100;

/** The role of a process from its command line. */
export function roleOf(cmdline: string[]): Role {
  const joined = cmdline.join(" ");
  if (/pyspark[./](daemon|worker)/.test(joined)) return "pythonWorkers";
  if (/moto_server/.test(joined)) return "s3Server";
  if (/(^|\/)java$/.test(cmdline[0] ?? "")) return "jvm";
  if (/(^|\/)python[\d.]*$/.test(cmdline[0] ?? "")) return "pythonDriver";
  return "other";
}

function descendants(root: number): Map<number, string[]> {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // Ended while we looked.
    }
  }
  const inTree = new Set([root]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, parent] of parentOf)
      if (!inTree.has(pid) && inTree.has(parent)) {
        inTree.add(pid);
        grew = true;
      }
  }
  inTree.delete(root);
  const result = new Map<number, string[]>();
  for (const pid of inTree) {
    try {
      result.set(pid, readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean));
    } catch {
      // Ended while we looked.
    }
  }
  return result;
}

function ownCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields 14 and 15 of stat (utime, stime) are at 11 and 12 after the command name.
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/**
 * Samples every `intervalMs` until stopped. A process's CPU is its last sampled value: a Python worker that exits
 * between samples loses at most one interval (Spark reuses its workers, so few exit before the job ends).
 */
export function trackCpuByRole(intervalMs = 250): { stop(): CpuSample[] } {
  const last = new Map<number, { role: Role; seconds: number }>();
  const samples: CpuSample[] = [];
  const sample = () => {
    try {
      for (const [pid, cmdline] of descendants(process.pid)) {
        const seconds = ownCpuSeconds(pid);
        if (seconds === undefined) continue;
        // Classified at every sample: spark-submit's shell execs the JVM in the same process.
        last.set(pid, { role: roleOf(cmdline), seconds });
      }
    } catch {
      return; // No /proc: no CPU figures.
    }
    const totals: Record<Role, number> = { pythonWorkers: 0, jvm: 0, pythonDriver: 0, s3Server: 0, other: 0 };
    for (const { role, seconds } of last.values()) totals[role] += seconds;
    samples.push({ time: nowMs(), seconds: totals });
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      sample();
      clearInterval(timer);
      return samples;
    },
  };
}

/** A role's CPU seconds between two epoch-ms instants, from the samples nearest to them (0 without samples). */
export function cpuBetween(samples: CpuSample[], role: Role, from: number, to: number): number {
  const at = (time: number) => {
    let value = 0;
    for (const sample of samples) {
      if (sample.time > time) break;
      value = sample.seconds[role];
    }
    return value;
  };
  return Math.max(0, at(to) - at(from));
}
