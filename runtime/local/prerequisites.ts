/**
 * Checks what the local lake needs (Node 22+, Python 3.11+ with the Glue packages, Java 17, moto's server) and names
 * the exact fix for whatever is missing, before any stage starts. `npm run demo` has its set-up (scripts/setup.mjs)
 * provide all of them first, so these checks only fail when the demo is started some other way.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";

/** One missing or too-old prerequisite and how to fix it. */
export interface MissingPrerequisite {
  what: string;
  found: string;
  fix: string;
}

/** The set-up that provides everything checked here. */
const SETUP = "node scripts/setup.mjs spark (what npm run demo runs first)";

const execFileAsync = promisify(execFile);

/**
 * Looks the Glue jobs' packages up without importing them (importing pyspark, sqlglot and moto costs seconds of CPU
 * on every demo; finding their specs costs milliseconds), and moto's server on PATH; prints what it found as JSON.
 * The s3-server stage starts that server right after, so a server that is present but broken is still named there.
 */
const PACKAGES_PROBE = [
  "import importlib.util, json, shutil",
  "names = ['pyspark', 'duckdb', 'sqlglot', 'moto']",
  "missing = [n for n in names if importlib.util.find_spec(n) is None]",
  "print(json.dumps({'missing': missing, 'motoServer': shutil.which('moto_server') is not None}))",
].join("\n");

/** What {@link PACKAGES_PROBE} prints. */
interface PackagesProbe {
  missing: string[];
  motoServer: boolean;
}

/** Runs a probe to its end: whether it exited 0, and what it printed (stdout, then stderr; nothing if it never ran). */
async function run(command: string, args: string[]): Promise<{ ok: boolean; output: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(command, args, { encoding: "utf8" });
    return { ok: true, output: `${stdout}${stderr}`.trim() };
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string };
    return { ok: false, output: `${failed.stdout ?? ""}${failed.stderr ?? ""}`.trim() };
  }
}

/** Parses the major (and minor) version out of a tool's version banner; undefined when none is found. */
export function parseVersion(banner: string): [number, number] | undefined {
  const match = /(\d+)\.(\d+)/.exec(banner);
  return match ? [Number(match[1]), Number(match[2])] : undefined;
}

/** Lists what is missing on this machine (empty when everything is there); the probes run side by side. */
export async function findMissingPrerequisites(): Promise<MissingPrerequisite[]> {
  const [python, modules, java] = await Promise.all([
    run("python3", ["--version"]),
    // Asked even when python3 is too old: the probes cost their start-up time, not a second of waiting each.
    run("python3", ["-c", PACKAGES_PROBE]),
    run(process.env.JAVA_HOME ? `${process.env.JAVA_HOME}/bin/java` : "java", ["-version"]),
  ]);
  const probed = modules.ok ? (JSON.parse(modules.output) as PackagesProbe) : undefined;
  const missing: MissingPrerequisite[] = [];
  const node = parseVersion(process.versions.node);
  if (!node || node[0] < 22)
    missing.push({
      what: "Node.js 22 or newer",
      found: process.versions.node,
      fix: `run the demo as npm run demo: its set-up brings Node 24 when this Node is older`,
    });

  const pythonVersion = parseVersion(python.output);
  if (!python.ok || !pythonVersion || pythonVersion[0] < 3 || (pythonVersion[0] === 3 && pythonVersion[1] < 11))
    missing.push({
      what: "Python 3.11 or newer as python3",
      found: python.output || "not found",
      fix: "install Python 3.11 (e.g. sudo apt-get install python3.11, or pyenv install 3.11)",
    });
  else if (!probed || probed.missing.length > 0)
    missing.push({
      what: "the Python packages of the Glue jobs (pyspark, duckdb, sqlglot, moto)",
      found: probed ? `missing: ${probed.missing.join(", ")}` : "python3 could not look them up",
      fix: `${SETUP}: it installs glue/requirements.txt into .venv`,
    });

  const javaVersion = parseVersion(java.output);
  if (!java.ok || !javaVersion || javaVersion[0] !== 17)
    missing.push({
      what: "Java 17 (Spark 3.5, as on Glue 5.1)",
      found: java.output.split("\n")[0] || "not found",
      fix: "install a JDK 17 (sudo apt-get install openjdk-17-jdk-headless) and put it first on PATH or set JAVA_HOME",
    });

  if (probed && !probed.motoServer)
    missing.push({
      what: "moto's S3 API server (moto_server)",
      found: "not on PATH",
      fix: `${SETUP}: it installs moto[server] into .venv`,
    });
  return missing;
}
