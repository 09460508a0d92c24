/**
 * The local runner's guarantees (issue 13), with the real commands as child processes: folder leases (#2, #12), an
 * unusable folder refused in one line (#3), child processes that die with the command (#9), and the preview's port
 * checked before any work (#16), and the demo's flags, read by the CLIs' one flag parser (a refused flag exits 2). The
 * whole demo with a kill and a resume is in test/e2e/demo.test.ts.
 */
import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { hostname, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ConfigError } from "../../lake/errors";
import { todayUtc } from "../../lake/paths";
import { QUICK_JIT_JAVA_OPTIONS, QUICK_JIT_MAX_TITLES, demoJobEnv, parseDemoArgs } from "../../runtime/local/demo";
import { acquireFolderLease, FolderInUse, LOCK_FILE } from "../../runtime/local/lease";
import { treeMemory } from "../../runtime/local/job";
import { UsageError } from "../../runtime/shared/flags";
import { isRunning } from "../support/timedProcess";

const ROOT = join(__dirname, "..", "..");

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Starts a TypeScript entry point with Node and tsx (one process, so a signal reaches the command itself). */
function start(script: string, args: string[], env: Record<string, string> = {}) {
  const started = Date.now();
  const child = spawn(process.execPath, ["--import", "tsx", script, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<Finished>((resolve) =>
    child.once("close", (code, signal) => resolve({ code, signal, stdout, stderr, ms: Date.now() - started })),
  );
  return { child, done, output: () => stdout + stderr };
}

/** Waits for a command, killing it (and failing) after `ms`: a command that never returns is the bug. */
async function within(run: { child: ChildProcess; done: Promise<Finished> }, ms: number): Promise<Finished> {
  const timer = setTimeout(() => run.child.kill("SIGKILL"), ms);
  const finished = await run.done;
  clearTimeout(timer);
  expect(finished.signal, `did not return within ${ms} ms`).to.equal(null);
  return finished;
}

/** Our own lines of stderr, without Node's runtime notices. */
function ownLines(text: string): string[] {
  return text
    .split("\n")
    .filter((line) => line.trim() !== "" && !/^\(node:\d+\)|--trace-warnings|ExperimentalWarning/.test(line));
}

/** The processes in a process's tree, itself left out. */
function descendants(pid: number): number[] {
  return [...treeMemory(pid).peakKbByPid.keys()].filter((other) => other !== pid);
}

async function until(condition: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("local runner: the demo's flags", () => {
  it("reads every flag, with the defaults of a small demo", () => {
    expect(parseDemoArgs([])).to.deep.equal({
      home: resolve(".lake"),
      scale: "small",
      titles: undefined,
      seed: 42,
      date: todayUtc(),
      tmdbLimit: 1000,
      serve: true,
      port: 8080,
      force: false,
      verbose: false,
    });
    const args = ["--scale", "full", "--titles", "5", "--seed", "0", "--date", "2024-05-02", "--port", "0"];
    expect(parseDemoArgs([...args, "--home", "/tmp/h", "--no-serve", "--force", "--verbose"])).to.deep.equal({
      home: "/tmp/h",
      scale: "full",
      titles: 5,
      seed: 0,
      date: "2024-05-02",
      tmdbLimit: 2000,
      serve: false,
      port: 0,
      force: true,
      verbose: true,
    });
    expect(parseDemoArgs(["--tmdb-limit", "0"]).tmdbLimit).to.equal(0);
  });

  it("refuses a bad flag in one line naming it and the fix", () => {
    const refusals: [string[], RegExp][] = [
      [["--titles", "0"], /^--titles: "0" is not a whole number of 1 or more\. Fix: give one, e.g\. --titles 1000$/],
      [["--seed", "-1"], /^Option '--seed' argument is ambiguous$/],
      [["--seed=-1"], /^--seed: "-1" is not a whole number of 0 or more\. Fix: give one, e.g\. --seed 42$/],
      [["--tmdb-limit", "ten"], /^--tmdb-limit: "ten" is not a whole number/],
      [
        ["--port", "70000"],
        /^--port: "70000" is not a whole number from 0 to 65535\. Fix: give one, e.g\. --port 8080$/,
      ],
      [["--scale", "huge"], /^--scale: "huge" is not one of small, full\. Fix: give one, e.g\. --scale small$/],
      [["--date", "2024-02-30"], /^--date: date "2024-02-30" is not a real calendar day\. Fix: /],
      [["--serve"], /^Unknown option '--serve'$/],
    ];
    for (const [args, message] of refusals) {
      const error = (() => {
        try {
          parseDemoArgs(args);
        } catch (thrown) {
          return thrown as Error;
        }
        throw new Error(`${args.join(" ")} was accepted`);
      })();
      expect(error, args.join(" ")).to.satisfy((e: Error) => e instanceof UsageError || e instanceof ConfigError);
      expect(error.message, args.join(" ")).to.match(message);
    }
  });
});

describe("local runner: the demo's JVM flags", () => {
  it("gives a small sample's jobs the quick-start compiler, a big one the JVM's default", () => {
    expect(demoJobEnv(1000, {})).to.deep.equal({ CINELAKE_DRIVER_JAVA_OPTIONS: QUICK_JIT_JAVA_OPTIONS });
    // C1-only would shrink the code cache to 48 MB, which the demo's three jobs in one JVM can fill.
    expect(QUICK_JIT_JAVA_OPTIONS).to.contain("-XX:TieredStopAtLevel=1").and.contain("-XX:ReservedCodeCacheSize=240m");
    expect(demoJobEnv(QUICK_JIT_MAX_TITLES, {})).to.have.property("CINELAKE_DRIVER_JAVA_OPTIONS");
    expect(demoJobEnv(QUICK_JIT_MAX_TITLES + 1, {})).to.deep.equal({});
  });

  it("leaves the flags to CINELAKE_DRIVER_JAVA_OPTIONS when it is set, even empty", () => {
    expect(demoJobEnv(1000, { CINELAKE_DRIVER_JAVA_OPTIONS: "" })).to.deep.equal({});
    expect(demoJobEnv(1000, { CINELAKE_DRIVER_JAVA_OPTIONS: "-XX:+UseSerialGC" })).to.deep.equal({});
  });
});

describe("local runner: leases, folders, child processes, the port", function () {
  this.timeout(300_000);
  const scratch = mkdtempSync(join(tmpdir(), "cinelake-runner-"));
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it("refuses a second lease on a folder naming the holder and since when, and takes over a dead holder's", async () => {
    const folder = join(scratch, "leased", "deep");
    const lease = await acquireFolderLease(folder, "npm run demo");
    const held = JSON.parse(readFileSync(join(folder, LOCK_FILE), "utf8"));
    expect(held).to.include({ pid: process.pid, host: hostname(), command: "npm run demo" });
    const refused = await acquireFolderLease(folder, "npm run sample").catch((error: Error) => error);
    expect(refused).to.be.instanceOf(FolderInUse);
    expect((refused as Error).message).to.equal(
      `${folder} is in use by npm run demo (pid ${process.pid} on ${hostname()}, since ${held.since}): wait for it to end, or stop it`,
    );
    lease.release();
    expect(existsSync(join(folder, LOCK_FILE))).to.equal(false);
    // A lock file left by a process that is gone (here: one that has exited) is taken over.
    const gone = spawn(process.execPath, ["-e", ""]);
    await new Promise((resolve) => gone.once("exit", resolve));
    const stale = { ...held, pid: gone.pid, token: "stale" };
    writeFileSync(join(folder, LOCK_FILE), JSON.stringify(stale));
    const taken = await acquireFolderLease(folder, "npm run demo");
    expect(JSON.parse(readFileSync(join(folder, LOCK_FILE), "utf8")).pid).to.equal(process.pid);
    taken.release();
  });

  it("refuses npm run job and npm run catalog on a --lake-dir another command holds, before starting Spark or DuckDB", async () => {
    const lake = join(scratch, "held-lake");
    const lease = await acquireFolderLease(lake, "npm run demo");
    try {
      const since = JSON.parse(readFileSync(join(lake, LOCK_FILE), "utf8")).since;
      const holder = `is in use by npm run demo (pid ${process.pid} on ${hostname()}, since ${since}): wait for it to end, or stop it`;
      const job = await within(start("runtime/local/job.ts", ["trusted-csv", "--lake-dir", lake]), 30_000);
      expect(job.code).to.equal(1);
      expect(ownLines(job.stderr)).to.deep.equal([`job: --lake-dir ${lake} ${holder}`]);
      const catalog = await within(start("runtime/local/catalog.ts", ["--lake-dir", lake]), 30_000);
      expect(catalog.code).to.equal(1);
      expect(ownLines(catalog.stderr)).to.deep.equal([`catalog: --lake-dir ${lake} ${holder}`]);
    } finally {
      lease.release();
    }
  });

  it("ends npm run demo, job and catalog with exit code 2 on a refused flag, in one line before any work", async () => {
    const [demo, job, catalog] = await Promise.all([
      within(start("runtime/local/demo.ts", ["--port", "http"]), 30_000),
      within(start("runtime/local/job.ts", ["refined", "--bucket", "Bad_Bucket"]), 30_000),
      within(start("runtime/local/catalog.ts", ["--lake-dir"]), 30_000),
    ]);
    expect(demo.code, demo.stderr).to.equal(2);
    expect(ownLines(demo.stderr)[0]).to.equal(
      '--port: "http" is not a whole number from 0 to 65535. Fix: give one, e.g. --port 8080',
    );
    expect(ownLines(demo.stderr)[1]).to.match(/^usage: npm run demo/);
    expect(demo.stdout).not.to.include("▶");
    expect(job.code, job.stderr).to.equal(2);
    expect(ownLines(job.stderr)).to.deep.equal([
      'job: --bucket: the bucket name "Bad_Bucket" has uppercase letters; S3 bucket names are lowercase. ' +
        "Fix: give the lake bucket's name, e.g. --bucket cinelake-alice-lake",
    ]);
    expect(catalog.code, catalog.stderr).to.equal(2);
    expect(ownLines(catalog.stderr)).to.have.length(1);
    expect(ownLines(catalog.stderr)[0]).to.match(/^catalog: Option '--lake-dir <value>' argument missing: usage: /);
  });

  it("lets one of two samples written into one folder at once run, and the other say who holds it (issue 13 #12)", async () => {
    const out = join(scratch, "two-samples");
    const args = [out, "--titles", "20000", "--seed", "7"];
    const [a, b] = await Promise.all([
      within(start("runtime/sample/cli.ts", args), 120_000),
      within(start("runtime/sample/cli.ts", args), 120_000),
    ]);
    const codes = [a.code, b.code].sort();
    expect(codes, `${a.stderr}\n${b.stderr}`).to.deep.equal([0, 1]);
    const loser = a.code === 1 ? a : b;
    const lines = ownLines(loser.stderr);
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(
      new RegExp(
        `^sample: ${out} is in use by npm run sample \\(pid \\d+ on ${hostname()}, since \\d{4}-\\d\\d-\\d\\dT`,
      ),
    );
    expect(existsSync(join(out, LOCK_FILE)), "the lease is released on exit").to.equal(false);
    expect(readFileSync(join(out, "movies.csv")).length).to.be.greaterThan(0);
  });

  it("refuses --home /proc/x and npm run sample /proc/x at once, in one line naming the path (issue 13 #3)", async () => {
    const sample = await within(start("runtime/sample/cli.ts", ["/proc/x"]), 20_000);
    expect(sample.code).to.equal(1);
    expect(ownLines(sample.stderr)).to.deep.equal([
      "sample: cannot create /proc/x: /proc does not accept new folders (mkdir /proc/x: ENOENT); give another OUT_DIR (a folder on a writable disk)",
    ]);
    const demo = await within(start("runtime/local/demo.ts", ["--home", "/proc/x", "--no-serve"]), 20_000);
    expect(demo.code).to.equal(1);
    expect(ownLines(demo.stderr)).to.deep.equal([
      "✗ cannot create --home /proc/x: /proc does not accept new folders (mkdir /proc/x: ENOENT); choose another --home (a folder on a writable disk), e.g. --home .lake",
    ]);
    expect(demo.stdout).not.to.include("▶");
  });

  it("checks the preview's port before any work and names --port 0 and --no-serve (issue 13 #16)", async () => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", () => resolve()));
    const port = (taken.address() as { port: number }).port;
    try {
      const home = join(scratch, "port-home");
      const demo = await within(start("runtime/local/demo.ts", ["--home", home, "--port", String(port)]), 30_000);
      expect(demo.code).to.equal(1);
      expect(ownLines(demo.stderr)).to.deep.equal([
        `✗ port ${port} is already in use: give --port 0 (a free port) or another --port, or --no-serve to build the lake without serving it`,
      ]);
      expect(demo.stdout).not.to.include("▶");
      expect(existsSync(join(home, "lake")), "nothing was built").to.equal(false);
    } finally {
      taken.close();
    }
  });

  it("lets one of two demos started at once on a fresh home run; the other says it is in use; SIGTERM ends the first in one line (issue 13 #2, #12)", async () => {
    const home = join(scratch, "two-demos");
    const args = ["--home", home, "--no-serve", "--titles", "100", "--tmdb-limit", "20"];
    const a = start("runtime/local/demo.ts", args);
    const b = start("runtime/local/demo.ts", args);
    const first = await Promise.race([a.done.then(() => a), b.done.then(() => b)]);
    const other = first === a ? b : a;
    const refused = await first.done;
    expect(refused.code, refused.stderr).to.equal(1);
    expect(refused.ms).to.be.lessThan(30_000);
    const lines = ownLines(refused.stderr);
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(
      new RegExp(
        `^✗ --home ${home} is in use by npm run demo \\(pid ${other.child.pid} on ${hostname()}, since [^)]+\\): ` +
          "wait for that run to end \\(or stop it\\), or give this one another --home$",
      ),
    );
    expect(refused.stdout).not.to.include("▶");
    // The other runs; stopped with SIGTERM once its S3 server is up, it ends in one line, its server with it.
    await until(() => other.output().includes("✓ s3-server"), 60_000, "the S3 server stage");
    const tree = descendants(other.child.pid as number);
    expect(tree.length).to.be.greaterThan(0);
    other.child.kill("SIGTERM");
    const stopped = await within(other, 30_000);
    expect(stopped.code).to.equal(143);
    expect(ownLines(stopped.stderr).at(-1)).to.match(/^✗ demo stopped by SIGTERM during stage "[\w-]+": /);
    await until(() => tree.every((pid) => !isRunning(pid)), 15_000, "the demo's child processes to end");
    for (const folder of [home, join(home, "lake"), join(home, "sample")])
      expect(existsSync(join(folder, LOCK_FILE)), `${folder} still leased`).to.equal(false);
  });

  it("ends the S3 server when the command that started it is SIGKILLed (issue 13 #9)", async () => {
    const script = join(scratch, "server.ts");
    writeFileSync(
      script,
      `import { startS3Server } from ${JSON.stringify(join(ROOT, "runtime/local/s3Server"))};\n` +
        `startS3Server().then((server) => console.log("up " + server.endpoint));\n` +
        `setInterval(() => {}, 1000);\n`,
    );
    const run = start(script, []);
    await until(() => run.output().includes("up http"), 60_000, "moto_server");
    const tree = descendants(run.child.pid as number);
    const moto = tree.filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("moto_server");
      } catch {
        return false;
      }
    });
    expect(moto).to.have.length.greaterThan(0);
    run.child.kill("SIGKILL");
    await run.done;
    await until(() => moto.every((pid) => !isRunning(pid)), 15_000, "moto_server to end after its parent's SIGKILL");
  });
});
