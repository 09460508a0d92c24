// The local runner's parent-death guard (issue 13 #9), plain Node with no packages so it starts in milliseconds.
// runtime/local/children.ts starts one per command, in a process group of its own, and writes "+<pgid>" / "-<pgid>"
// lines to its stdin for each child process group it starts and sees end. When that stdin reaches end of file, the
// command is gone, however it ended (SIGKILL included, which no handler sees): the guard then sends SIGTERM to every
// group still listed, SIGKILL to those still there after a grace period, and exits. The groups hold moto_server,
// Spark's Python driver with its JVM, and DuckDB's catalog builder.
import { setInterval } from "node:timers";
import { setTimeout as sleep } from "node:timers/promises";

const GRACE_MS = 5000;
const groups = new Set();
const parent = process.ppid;

function alive(pgid) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return error.code === "EPERM";
  }
}

function signal(pgid, name) {
  try {
    process.kill(-pgid, name);
  } catch {
    // The group is gone already.
  }
}

let ending = false;
async function end() {
  if (ending) return;
  ending = true;
  for (const pgid of groups) signal(pgid, "SIGTERM");
  const deadline = Date.now() + GRACE_MS;
  while ([...groups].some(alive) && Date.now() < deadline) await sleep(100);
  for (const pgid of groups) if (alive(pgid)) signal(pgid, "SIGKILL");
  process.exit(0);
}

// The command's terminal may send these to everyone; the guard still has to outlive the command to clean up.
for (const name of ["SIGINT", "SIGHUP", "SIGQUIT"]) process.on(name, () => {});

let pending = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => {
  pending += chunk;
  const lines = pending.split("\n");
  pending = lines.pop() ?? "";
  for (const line of lines) {
    const pgid = Number(line.slice(1));
    if (!Number.isInteger(pgid) || pgid <= 1) continue;
    if (line.startsWith("+")) groups.add(pgid);
    else if (line.startsWith("-")) groups.delete(pgid);
  }
});
process.stdin.on("end", end);
process.stdin.on("close", end);
process.stdin.on("error", end);
// Should the pipe stay open (an inherited copy), a new parent pid still tells that the command is gone.
setInterval(() => {
  if (process.ppid !== parent) void end();
}, 1000);
