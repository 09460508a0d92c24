/** The local Spark job runner (`npm run job`): the Glue arguments it builds, and one real run on a local folder. */
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { expect } from "chai";
import { ConfigError } from "../../lake/errors";
import { JOBS } from "../../lake/jobs";
import { DATASETS, lakeKey, reportPrefix } from "../../lake/paths";
import {
  jobCommand,
  lakeRoot,
  lastJsonObject,
  parseJobArgs,
  reportCounts,
  trackPeakMemory,
  treeMemory,
} from "../../runtime/local/job";
import { UsageError } from "../../runtime/shared/flags";

const ROOT = join(__dirname, "..", "..");

/** A lake folder holding one small movies CSV (three rows: one good, its duplicate, one out of range). */
function smallLake(): string {
  const lake = mkdtempSync(join(tmpdir(), "cinelake-job-"));
  const header =
    "id|tituloPincipal|tituloOriginal|anoLancamento|tempoMinutos|genero|notaMedia|numeroVotos|generoArtista|" +
    "personagem|nomeArtista|anoNascimento|anoFalecimento|profissao|titulosMaisConhecidos";
  const good = "tt0000009|Miss Jerry|Miss Jerry|1894|45|Romance|5.3|200|actress|Miss G|Blanche|1878|1951|actress|\\N";
  const bad = "tt0000010|Other|Other|1895|45|Drama|12.5|10|actor|X|Someone|1870|1930|actor|\\N";
  const key = lakeKey({ ...DATASETS.rawMoviesCsv, date: "2024-05-02", file: "movies.csv" });
  mkdirSync(dirname(join(lake, key)), { recursive: true });
  writeFileSync(join(lake, key), [header, good, good, bad, ""].join("\r\n"));
  return lake;
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
  } catch {
    return "";
  }
}

describe("peak memory of a process tree", function () {
  this.timeout(60_000);

  it("counts the long-lived processes' peaks, not short-lived forks that still share their parent's memory", async () => {
    // A parent holding ~300 MB forks a child every 0.4 s that lives 0.1 s without exec: each child's resident memory
    // is the parent's shared pages. Sampled every 250 ms, each child is seen once at most.
    const script = [
      "import os, sys, time",
      "held = bytearray(300 * 1024 * 1024)",
      "for i in range(0, len(held), 4096): held[i] = 1",
      "for _ in range(8):",
      "    pid = os.fork()",
      "    if pid == 0:",
      "        time.sleep(0.1)",
      "        os._exit(0)",
      "    os.waitpid(pid, 0)",
      "    time.sleep(0.3)",
    ].join("\n");
    const child = spawn("python3", ["-c", script], { stdio: "ignore" });
    const memory = trackPeakMemory(child.pid);
    await new Promise((done) => child.once("exit", done));
    const peakMb = memory.stop();
    expect(peakMb, "the parent's own 300 MB").to.be.at.least(300);
    expect(peakMb, "a fork counted as memory of its own").to.be.below(450);
  });
});

describe("local job runner", () => {
  it("passes every prefix of lake/jobs.ts as a Glue argument, plus lake root and date", () => {
    const command = jobCommand("trusted-tmdb", { bucket: "my-lake" }, "2024-05-02", {});
    expect(command.args[0]).to.match(/glue\/trusted_tmdb\.py$/);
    const pairs = Object.fromEntries(
      command.args.slice(1).flatMap((arg, i, all) => (i % 2 === 0 ? [[arg.slice(2), all[i + 1]]] : [])),
    );
    expect(pairs).to.deep.equal({ lake_root: "s3a://my-lake/", date: "2024-05-02", ...JOBS["trusted-tmdb"].prefixes });
    expect(command.env.PYTHONPATH).to.match(/glue$/);
  });

  it("turns a local folder into a file:// lake root and refuses bad buckets, dates and jobs", () => {
    expect(lakeRoot({ lakeDir: "/tmp/some lake" })).to.equal("file:///tmp/some%20lake/");
    expect(() => lakeRoot({ bucket: "Bad_Bucket" })).to.throw(
      ConfigError,
      /^--bucket: the bucket name "Bad_Bucket" has uppercase letters.*\. Fix: give the lake bucket's name/,
    );
    expect(() => jobCommand("trusted-csv", { bucket: "lake" }, "2024-02-30")).to.throw(/not a real calendar day/);
    expect(() => parseJobArgs(["nope", "--bucket", "b"])).to.throw(UsageError, /usage/);
    expect(() => parseJobArgs(["refined", "--bucket", "b", "--lake-dir", "d"])).to.throw(UsageError, /exactly one/);
    expect(() => parseJobArgs(["refined", "--lake-dir", "d", "--nope"])).to.throw(
      UsageError,
      /^Unknown option '--nope': usage: npm run job/,
    );
    expect(() => parseJobArgs(["refined", "--lake-dir", "d", "--date", "2024-02-30"])).to.throw(
      ConfigError,
      /^--date: date "2024-02-30" is not a real calendar day\. Fix: /,
    );
    expect(parseJobArgs(["refined", "--lake-dir", "d"])).to.deep.equal({
      name: "refined",
      target: { lakeDir: "d" },
      date: "latest",
    });
    expect(parseJobArgs(["refined", "--bucket", "my-lake", "--date", "2024-05-02", "--verbose"])).to.deep.equal({
      name: "refined",
      target: { bucket: "my-lake" },
      date: "2024-05-02",
      verbose: true,
    });
  });

  it("reads the run report a job prints last and flattens its counts", () => {
    const stdout =
      'starting\n{"old": 1}\n{\n  "job": "trusted-csv",\n  "datasets": [{"dataset": "movies", "raw": 3,' +
      ' "trusted": 2, "extra": {"valid": 2}}],\n  "durations_s": {"read": 1.5}\n}\n';
    const report = lastJsonObject(stdout);
    expect(report.job).to.equal("trusted-csv");
    expect(reportCounts(report)).to.deep.equal({ datasets_movies_raw: 3, datasets_movies_trusted: 2 });
    expect(() => lastJsonObject("no report here")).to.throw(/no run report/);
  });

  it("runs the CSV job's Glue script on local Spark over a folder laid out like the bucket", function () {
    this.timeout(600_000);
    const lake = mkdtempSync(join(tmpdir(), "cinelake-job-"));
    try {
      const header =
        "id|tituloPincipal|tituloOriginal|anoLancamento|tempoMinutos|genero|notaMedia|numeroVotos|generoArtista|" +
        "personagem|nomeArtista|anoNascimento|anoFalecimento|profissao|titulosMaisConhecidos";
      const good =
        "tt0000009|Miss Jerry|Miss Jerry|1894|45|Romance|5.3|200|actress|Miss G|Blanche|1878|1951|actress|\\N";
      const bad = "tt0000010|Other|Other|1895|45|Drama|12.5|10|actor|X|Someone|1870|1930|actor|\\N";
      const key = lakeKey({ ...DATASETS.rawMoviesCsv, date: "2024-05-02", file: "movies.csv" });
      mkdirSync(dirname(join(lake, key)), { recursive: true });
      writeFileSync(join(lake, key), [header, good, good, bad, ""].join("\r\n"));
      const run = spawnSync("npm", ["run", "-s", "job", "--", "trusted-csv", "--lake-dir", lake, "--date", "latest"], {
        encoding: "utf8",
        env: { ...process.env, CINELAKE_SPARK_MASTER: "local[2]", CINELAKE_DRIVER_MEMORY: "1g" },
      });
      expect(run.status, run.stderr.slice(-3000)).to.equal(0);
      expect(run.stderr).to.match(/peak RSS \d+ MB/);
      const reports = join(lake, reportPrefix("trusted-csv"), "dt=2024-05-02");
      const [file] = readdirSync(reports).filter((name) => /^run-.*\.json$/.test(name));
      const report = JSON.parse(readFileSync(join(reports, file as string), "utf8"));
      const movies = report.datasets[0];
      expect([movies.raw, movies.trusted, movies.duplicates, movies.quarantined]).to.deep.equal([3, 1, 1, 1]);
      expect(movies.quarantined_by_reason).to.deep.equal({ rating_out_of_range: 1 });
      expect(report.datasets[1].status).to.equal("no_input");
    } finally {
      rmSync(lake, { recursive: true, force: true });
    }
  });

  it("ends Spark's driver and JVM when the command that started them is SIGKILLed (issue 13 #9)", async function () {
    this.timeout(300_000);
    const lake = smallLake();
    const script = join(lake, "..", `${lake.split("/").at(-1)}-runner.ts`);
    writeFileSync(
      script,
      `import { runJob } from ${JSON.stringify(join(ROOT, "runtime/local/job"))};\n` +
        `runJob({ job: "trusted-csv", lakeDir: ${JSON.stringify(lake)}, echo: false, log: ${JSON.stringify(join(lake, "..", "kill.log"))} });\n` +
        `setInterval(() => {}, 1000);\n`,
    );
    const runner = spawn(process.execPath, ["--import", "tsx", script], {
      cwd: ROOT,
      stdio: "ignore",
      env: { ...process.env, CINELAKE_SPARK_MASTER: "local[1]", CINELAKE_DRIVER_MEMORY: "1g" },
    });
    try {
      const pid = runner.pid as number;
      let tree: number[] = [];
      const deadline = Date.now() + 120_000;
      // Killed once the JVM runs: that is what was left behind, 2.4 GB of it at the demo's scale.
      while (!tree.some((child) => /\bjava\b/.test(commandLine(child)))) {
        expect(Date.now() < deadline, "the JVM did not start").to.equal(true);
        await new Promise((resolve) => setTimeout(resolve, 250));
        tree = [...treeMemory(pid).peakKbByPid.keys()].filter((child) => child !== pid);
      }
      runner.kill("SIGKILL");
      const left = () => tree.filter((child) => commandLine(child) !== "");
      // The job itself would run on for about 20 s more here; its processes must end well before that.
      const until = Date.now() + 8_000;
      while (left().length > 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 250));
      expect(left().map(commandLine), "still running after the parent's SIGKILL").to.deep.equal([]);
    } finally {
      runner.kill("SIGKILL");
      rmSync(script, { force: true });
      rmSync(join(lake, "..", "kill.log"), { force: true });
      rmSync(lake, { recursive: true, force: true });
    }
  });
});
