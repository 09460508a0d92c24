/**
 * Benchmark (not a test): full-scale movies.csv and series.csv uploaded to a loopback S3 API server (moto) by our
 * runtime (the bundled CLI the container runs) and by `aws s3 cp` (awscli), alternately in one run. Prints each run's
 * throughput and peak RSS (GNU time), the median throughput ratio ours/awscli (target >= 1.0) and our peak RSS (target
 * <= 256 MB). Also prints the CPU seconds each run cost the client and the S3 API server (moto, from /proc), to show
 * which side limits the throughput.
 *
 *   npx tsx bench/batch-ingestor/run.ts [--rounds N] [--titles N] [--node PATH]
 *                                        [--ours-args="--part-size-mib 16 --queue-size 4"]
 */
import { CreateBucketCommand, DeleteObjectCommand, HeadObjectCommand } from "@aws-sdk/client-s3";
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { DATASETS, lakeKey } from "../../lake/paths";
import { bundleCli } from "../../runtime/batch-ingestor/build";
import { startS3Server } from "../../runtime/local/s3Server";
import { exitCodeOf, numberSetting, parseFlags } from "../../runtime/shared/flags";
import { makeS3Client } from "../../runtime/shared/s3Client";
import { generateSample, titlesForScale } from "../../runtime/sample/generate";

const REPO = resolve(__dirname, "../..");
const MB = 1_000_000;

/** One timed run of a tool. */
interface Measurement {
  tool: "ours" | "awscli";
  round: number;
  seconds: number;
  bytes: number;
  peakRssMb: number;
  /** The client's user + system CPU seconds. */
  clientCpu: number;
  /** The S3 API server's CPU seconds during the run (NaN when its process was not found). */
  serverCpu: number;
}

const CLOCK_TICKS = 100;

/** The pid of the moto_server listening on `port`, found in /proc (startS3Server does not expose it). */
function serverPid(port: string): number | undefined {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      if (args.some((arg) => arg.endsWith("moto_server")) && args.includes(port)) return Number(entry);
    } catch {
      // The process ended meanwhile.
    }
  }
  return undefined;
}

/** The CPU seconds (user + system, with waited-for children) a process has used so far; NaN when unknown. */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    // Fields after the command name (which may hold spaces): utime is the 14th field, stime the 15th.
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}

/** Runs a command under GNU time and returns wall seconds and peak RSS; throws with stderr on failure. */
function timed(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ seconds: number; peakRssMb: number; clientCpu: number }> {
  return new Promise((resolvePromise, reject) => {
    const started = process.hrtime.bigint();
    execFile("/usr/bin/time", ["-v", command, ...args], { env, maxBuffer: 64 * MB }, (error, _stdout, stderr) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (error) return reject(new Error(`${command} failed: ${stderr.slice(-2000)}`));
      const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
      if (!rss) return reject(new Error(`no peak RSS in the output of /usr/bin/time -v:\n${stderr.slice(-500)}`));
      const user = Number(/User time \(seconds\): ([\d.]+)/.exec(stderr)?.[1]);
      const system = Number(/System time \(seconds\): ([\d.]+)/.exec(stderr)?.[1]);
      resolvePromise({ seconds, peakRssMb: (Number(rss[1]) * 1024) / MB, clientCpu: user + system });
    });
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

async function main(): Promise<void> {
  const { values } = parseFlags({
    options: {
      rounds: { type: "string" },
      titles: { type: "string" },
      "ours-args": { type: "string" },
      node: { type: "string" },
    },
  });
  // Extra CLI arguments for our runtime, e.g. "--part-size-mib 16 --queue-size 4", to compare settings.
  const rounds = numberSetting("--rounds", values.rounds, { min: 1, example: 3 }) ?? 3;
  const titles = numberSetting("--titles", values.titles, { min: 2, example: 10_000 }) ?? titlesForScale("full");
  const oursExtra = values["ours-args"] ? values["ours-args"].split(/\s+/) : [];
  // The Node binary running our CLI: the container's is Node 22 (e.g. --node "$(npx -y -p node@22 which node)").
  const node = values.node ?? process.execPath;
  const nodeVersion = await new Promise<string>((resolvePromise, reject) =>
    execFile(node, ["--version"], (error, stdout) => (error ? reject(error) : resolvePromise(stdout.trim()))),
  );
  if (!existsSync("/usr/bin/time")) throw new Error("GNU time (/usr/bin/time) is needed to measure peak RSS");

  const dataDir = join(REPO, ".cache", "batch-ingestor-bench", `titles-${titles}`);
  if (!existsSync(join(dataDir, "series.csv"))) {
    console.log(`generating ${titles} titles into ${dataDir} ...`);
    await generateSample({ outDir: dataDir, titles, seed: 42 });
  }
  const movies = join(dataDir, "movies.csv");
  const series = join(dataDir, "series.csv");
  const bytes = (await stat(movies)).size + (await stat(series)).size;
  const cli = bundleCli(join(REPO, ".cache", "batch-ingestor-bench", "bin"));

  const server = await startS3Server();
  // The SDK's default credential chain reads process.env.
  Object.assign(process.env, server.env);
  const s3 = makeS3Client(server.env);
  const bucket = "bench-lake";
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const env = { ...process.env, ...server.env, AWS_EC2_METADATA_DISABLED: "true" };
  const moto = serverPid(new URL(server.endpoint).port);
  /** Runs `run` and adds the server's CPU seconds meanwhile. */
  const withServerCpu = async <T>(run: () => Promise<T>): Promise<T & { serverCpu: number }> => {
    const before = cpuSeconds(moto);
    const result = await run();
    return { ...result, serverCpu: cpuSeconds(moto) - before };
  };
  const measurements: Measurement[] = [];
  try {
    console.log(
      `files: movies.csv + series.csv = ${(bytes / MB).toFixed(1)} MB; S3 API server: moto at ${server.endpoint}`,
    );
    console.log(`ours: node ${nodeVersion} ${cli} ${oursExtra.join(" ")}; awscli: ${(await timedVersion()).trim()}`);
    for (let round = 1; round <= rounds; round++) {
      // Ours: a new day each round, so nothing is skipped as already there.
      const date = `2000-01-${String(round).padStart(2, "0")}`;
      const oursArgs = [cli, "--bucket", bucket, "--movies", movies, "--series", series, "--date", date, ...oursExtra];
      const ours = await withServerCpu(() => timed(node, oursArgs, env));
      measurements.push({ tool: "ours", round, bytes, ...ours });
      const keys = [
        lakeKey({ ...DATASETS.rawMoviesCsv, date, file: "movies.csv" }),
        lakeKey({ ...DATASETS.rawSeriesCsv, date, file: "series.csv" }),
      ];
      await checkAndDelete(keys);

      // awscli: the same two files in one command (it uploads them concurrently).
      const prefix = `bench/awscli/round-${round}/`;
      const awsArgs = ["--endpoint-url", server.endpoint, "s3", "cp", "--recursive", "--only-show-errors"];
      const aws = await withServerCpu(() => timed("aws", [...awsArgs, dataDir, `s3://${bucket}/${prefix}`], env));
      measurements.push({ tool: "awscli", round, bytes, ...aws });
      await checkAndDelete([`${prefix}movies.csv`, `${prefix}series.csv`]);

      for (const m of measurements.slice(-2))
        console.log(
          `round ${m.round} ${m.tool.padEnd(6)}: ${m.seconds.toFixed(2)} s, ${(m.bytes / MB / m.seconds).toFixed(1)} MB/s, ` +
            `peak RSS ${m.peakRssMb.toFixed(0)} MB, CPU s client ${m.clientCpu.toFixed(2)} server ${m.serverCpu.toFixed(2)}`,
        );
    }
  } finally {
    await server.stop();
  }

  const rate = (tool: Measurement["tool"]) =>
    median(measurements.filter((m) => m.tool === tool).map((m) => m.bytes / MB / m.seconds));
  const peak = (tool: Measurement["tool"]) =>
    Math.max(...measurements.filter((m) => m.tool === tool).map((m) => m.peakRssMb));
  const ratio = rate("ours") / rate("awscli");
  const cpu = (tool: Measurement["tool"], side: "clientCpu" | "serverCpu") =>
    median(measurements.filter((m) => m.tool === tool).map((m) => m[side]));
  console.log("");
  console.log(`median throughput  ours ${rate("ours").toFixed(1)} MB/s | awscli ${rate("awscli").toFixed(1)} MB/s`);
  console.log(`ratio ours/awscli  ${ratio.toFixed(2)} (target >= 1.0: ${ratio >= 1 ? "met" : "NOT met"})`);
  console.log(
    `peak RSS           ours ${peak("ours").toFixed(0)} MB (target <= 256 MB: ${peak("ours") <= 256 ? "met" : "NOT met"}) | ` +
      `awscli ${peak("awscli").toFixed(0)} MB`,
  );
  console.log(
    `median CPU s       ours client ${cpu("ours", "clientCpu").toFixed(2)} server ${cpu("ours", "serverCpu").toFixed(2)} | ` +
      `awscli client ${cpu("awscli", "clientCpu").toFixed(2)} server ${cpu("awscli", "serverCpu").toFixed(2)}`,
  );

  async function checkAndDelete(keys: string[]): Promise<void> {
    let stored = 0;
    for (const key of keys) {
      stored += (await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).ContentLength ?? 0;
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    }
    if (stored !== bytes) throw new Error(`stored ${stored} bytes under ${keys.join(", ")}, expected ${bytes}`);
  }

  async function timedVersion(): Promise<string> {
    return new Promise((resolvePromise) =>
      execFile("aws", ["--version"], (_error, stdout, stderr) => resolvePromise(stdout || stderr)),
    );
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(exitCodeOf(error));
});
