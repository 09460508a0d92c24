#!/usr/bin/env node
/**
 * The set-up every npm script runs before its command, so that `npm run demo` and `npm test` work on a fresh clone:
 *
 *   node scripts/setup.mjs <profile> [-- command [args...]]
 *
 * Profiles, each including the ones before it:
 *   node    Node 22 or newer (on an older Node, Node 24 from its npm package into .cache/node) and the npm packages
 *           from package-lock.json (npm ci) when node_modules is missing or older than the lock;
 *   python  .venv/ from glue/requirements.txt (a pinned uv installed into it), reinstalled only when the
 *           requirements change; nothing goes into the system's Python;
 *   spark   Java 17, and the s3a jars resolved once by Spark's own package mechanism into the Ivy cache;
 *   test    what the browser and container tests need (Chromium, podman, debootstrap, uidmap, fuse-overlayfs, fonts).
 * A missing system tool is installed with apt-get when running as root on Debian/Ubuntu, else the set-up stops before
 * any work with one line naming it and the exact install command. Then the command runs with .venv/bin first on PATH
 * (so every python3, moto_server, cfn-lint, ruff and pytest it starts is the venv's), under Node 24 when the current
 * Node is older than 22.
 *
 * Plain JavaScript on Node's built-ins only: it runs before any npm package exists. It prints only its own steps; the
 * installers' output goes to .lake/logs/setup-*.log (live with --verbose or CINELAKE_VERBOSE=1).
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { delimiter, dirname, join, relative } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath, pathToFileURL } from "node:url";

/** The repository root (this file lives in `<root>/scripts/`). */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The uv release installed into the venv: pinned, so every machine resolves the requirements the same way. */
export const UV_VERSION = "0.13.9";

/** The Node major the set-up brings when the current one is too old for the dependencies (they need Node 22+). */
export const NODE_MAJOR = 24;

/** The oldest Node the dependencies support (`engines` of @pulumi/pulumi and ky). */
export const MIN_NODE_MAJOR = 22;

const PROFILES = ["node", "python", "spark", "test"];
const VENV = join(ROOT, ".venv");
const VENV_BIN = join(VENV, process.platform === "win32" ? "Scripts" : "bin");
const VENV_STAMP = join(VENV, ".cinelake-requirements.sha256");
const REQUIREMENTS = join(ROOT, "glue", "requirements.txt");
const LOG_DIR = join(ROOT, ".lake", "logs");
const NODE_DIR = join(ROOT, ".cache", "node");
const LOCK_DIR = join(ROOT, ".cache", "setup.lock");

/** Where Spark's Ivy keeps the s3a jars: the same rule as glue/cinelake/session.py's ivy_dir(). */
export function ivyDir(env = process.env) {
  return env.CINELAKE_IVY_DIR || join(ROOT, ".cache", "ivy");
}

/** Whether `profile` includes `level` (profiles are cumulative: test ⊃ spark ⊃ python ⊃ node). */
export function includes(profile, level) {
  return PROFILES.indexOf(profile) >= PROFILES.indexOf(level);
}

/** The major and minor version of the first `X.Y` in a banner, or undefined. */
export function parseVersion(banner) {
  const match = /(\d+)\.(\d+)/.exec(banner ?? "");
  return match ? [Number(match[1]), Number(match[2])] : undefined;
}

/** The Java major version a `java -version` banner reports (`"17.0.15"` → 17, `"1.8.0"` → 8), or undefined. */
export function javaMajor(banner) {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(banner ?? "");
  if (!match) return undefined;
  return match[1] === "1" ? Number(match[2]) : Number(match[1]);
}

/** The sha256 the venv's stamp records: the requirements' bytes and the uv pin. */
export function requirementsHash(requirements = readFileSync(REQUIREMENTS)) {
  return createHash("sha256").update(requirements).update(`\nuv==${UV_VERSION}\n`).digest("hex");
}

/** The npm package holding a Node binary for this platform (what the `node` package itself installs). */
export function nodePackage(platform = process.platform, arch = process.arch) {
  return `node-${platform === "win32" ? "win" : platform}-${arch}`;
}

/** A path as the user would say it: relative to the repository when inside it, else absolute. */
function shown(path) {
  const inside = relative(ROOT, path);
  return inside && !inside.startsWith("..") ? inside : path;
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: "utf8", ...options });
  if (result.error) return { ok: false, output: "" };
  return { ok: result.status === 0, output: `${result.stdout ?? ""}${result.stderr ?? ""}`.trim() };
}

function onPath(name, extra = []) {
  const dirs = [...(process.env.PATH ?? "").split(delimiter), ...extra];
  return dirs.some((dir) => dir && existsSync(join(dir, name)));
}

let java17;

/** A Java 17 on this machine: JAVA_HOME's, the one on PATH, or a JDK under /usr/lib/jvm; undefined when none. */
export function findJava17() {
  if (java17 !== undefined) return java17 || undefined;
  java17 = lookForJava17() ?? false;
  return java17 || undefined;
}

function lookForJava17() {
  const candidates = [];
  if (process.env.JAVA_HOME)
    candidates.push({ java: join(process.env.JAVA_HOME, "bin", "java"), home: process.env.JAVA_HOME });
  candidates.push({ java: "java", home: undefined });
  if (existsSync("/usr/lib/jvm"))
    for (const name of readdirSync("/usr/lib/jvm")
      .filter((entry) => /17/.test(entry))
      .sort())
      candidates.push({ java: join("/usr/lib/jvm", name, "bin", "java"), home: join("/usr/lib/jvm", name) });
  for (const candidate of candidates) {
    const result = run(candidate.java, ["-version"]);
    if (result.ok && javaMajor(result.output) === 17) return candidate;
  }
  return undefined;
}

/** A Python 3.11+ able to create a venv with pip (Debian's needs python3-venv for that), or undefined. */
function findPython() {
  for (const python of ["python3.11", "python3"]) {
    const version = parseVersion(run(python, ["--version"]).output);
    if (!version || version[0] !== 3 || version[1] < 11) continue;
    if (run(python, ["-m", "ensurepip", "--version"]).ok) return python;
  }
  return undefined;
}

/**
 * The system tools a profile needs and that are missing, each with the Debian package that provides it. The Python
 * check only matters while the venv does not exist yet: afterwards the venv is the interpreter.
 */
export function missingTools(profile) {
  const missing = [];
  if (includes(profile, "python") && !existsSync(join(VENV_BIN, "python")) && !findPython())
    missing.push({ what: "Python 3.11+ with venv (python3)", packages: ["python3", "python3-venv"] });
  if (includes(profile, "spark") && !findJava17())
    missing.push({ what: "Java 17 (Spark 3.5, as on Glue 5.1)", packages: ["openjdk-17-jre-headless"] });
  if (includes(profile, "test")) {
    if (!existsSync("/usr/bin/chromium"))
      missing.push({ what: "Chromium at /usr/bin/chromium (browser tests)", packages: ["chromium"] });
    if (!onPath("podman")) missing.push({ what: "podman (container test)", packages: ["podman"] });
    if (!onPath("debootstrap", ["/usr/sbin"]))
      missing.push({ what: "debootstrap (container test)", packages: ["debootstrap"] });
    if (!onPath("newuidmap", ["/usr/bin"])) missing.push({ what: "newuidmap (container test)", packages: ["uidmap"] });
    if (!onPath("fuse-overlayfs"))
      missing.push({ what: "fuse-overlayfs (container test)", packages: ["fuse-overlayfs"] });
    if (!existsSync("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"))
      missing.push({ what: "DejaVu fonts (browser tests)", packages: ["fonts-dejavu-core"] });
  }
  return missing;
}

/** The one line printed when tools are missing and cannot be installed here: what, and the exact command. */
export function missingToolsLine(missing, canApt = existsSync("/usr/bin/apt-get")) {
  const packages = [...new Set(missing.flatMap((tool) => tool.packages))].join(" ");
  const command = `sudo apt-get install -y ${packages}`;
  const how = canApt ? command : `your system's package manager (on Debian/Ubuntu: ${command})`;
  return `setup: missing ${missing.map((tool) => tool.what).join(", ")}: install with ${how}`;
}

const verbose = process.env.CINELAKE_VERBOSE === "1" || process.argv.includes("--verbose");
const started = Date.now();
let announced = false;

function say(line) {
  announced = true;
  process.stderr.write(`setup: ${line}\n`);
}

/** Runs an installer with its output in a log file (and live with --verbose); rejects with one line naming the log. */
function logged(step, logName, command, args, env = process.env) {
  mkdirSync(LOG_DIR, { recursive: true });
  const logPath = join(LOG_DIR, logName);
  const log = createWriteStream(logPath);
  log.write(`$ ${command} ${args.join(" ")}\n`);
  const child = spawn(command, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let tail = "";
  const keep = (chunk) => {
    log.write(chunk);
    tail = (tail + chunk.toString()).slice(-4000);
    if (verbose) process.stderr.write(chunk);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  return new Promise((resolve, reject) => {
    child.once("error", (error) => reject(new Error(`${step}: could not start ${command} (${error.message})`)));
    child.once("close", (code) =>
      log.end(() => {
        if (code === 0) return resolve();
        const last = tail.trim().split("\n").filter(Boolean).at(-1) ?? "";
        reject(new Error(`${step} failed (exit ${code}): ${last.trim()} (full log: ${shown(logPath)})`));
      }),
    );
  });
}

async function timed(what, body) {
  const start = Date.now();
  say(`${what} ...`);
  await body();
  say(`${what}: done (${Math.round((Date.now() - start) / 1000)} s)`);
}

/** Waits for, then takes, the set-up lock, so two commands started at once do not install into the same folders. */
async function lock() {
  mkdirSync(dirname(LOCK_DIR), { recursive: true });
  let waited = false;
  while (true) {
    try {
      mkdirSync(LOCK_DIR);
      writeFileSync(join(LOCK_DIR, "pid"), String(process.pid));
      process.once("exit", unlock);
      return;
    } catch (error) {
      if (error.code !== "EEXIST") throw error;
    }
    const pidFile = join(LOCK_DIR, "pid");
    const holder = existsSync(pidFile) ? Number(readFileSync(pidFile, "utf8")) : 0;
    // A holder that died, or a lock that never got its pid written, is left over: take it.
    if (holder ? !isAlive(holder) : Date.now() - statSync(LOCK_DIR).mtimeMs > 10_000) {
      unlock();
      continue;
    }
    if (!waited) say(`waiting for another set-up${holder ? ` (pid ${holder})` : ""} to finish`);
    waited = true;
    await sleep(1000);
  }
}

function unlock() {
  rmSync(LOCK_DIR, { recursive: true, force: true });
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === "EPERM";
  }
}

function nodeBinary() {
  return join(NODE_DIR, "node_modules", nodePackage(), process.platform === "win32" ? "node.exe" : "bin/node");
}

function needsNode() {
  return Number(process.versions.node.split(".")[0]) < MIN_NODE_MAJOR;
}

function npmPackagesStale() {
  const installed = join(ROOT, "node_modules", ".package-lock.json");
  if (!existsSync(installed)) return true;
  return statSync(installed).mtimeMs < statSync(join(ROOT, "package-lock.json")).mtimeMs;
}

function venvStale() {
  if (!existsSync(join(VENV_BIN, "python")) || !existsSync(VENV_STAMP)) return true;
  return readFileSync(VENV_STAMP, "utf8").trim() !== requirementsHash();
}

function jarsMissing() {
  const jars = join(ivyDir(), "jars");
  return !existsSync(jars) || !readdirSync(jars).some((name) => name.startsWith("org.apache.hadoop_hadoop-aws-"));
}

/** The environment of everything the set-up and the command start: the venv, Java 17, Node 24 first on PATH. */
function childEnv() {
  const env = { ...process.env };
  // node_modules/.bin too, for a command started as `node scripts/setup.mjs <profile> -- <command>` outside npm.
  const path = [VENV_BIN, join(ROOT, "node_modules", ".bin")];
  if (needsNode()) path.unshift(dirname(nodeBinary()));
  env.PATH = [...path, env.PATH ?? ""].join(delimiter);
  env.VIRTUAL_ENV = VENV;
  delete env.PYTHONHOME;
  const java = findJava17();
  if (java?.home) env.JAVA_HOME = java.home;
  if (!verbose) {
    // Runtime notices (deprecations, version notices) go to .lake/logs/node-warnings.log instead of the terminal.
    const preload = join(ROOT, "scripts", "node-warnings.mjs");
    const options = env.NODE_OPTIONS ?? "";
    if (!options.includes("node-warnings.mjs"))
      env.NODE_OPTIONS = `${options} --no-warnings --import=${pathToFileURL(preload).href}`.trim();
  }
  return env;
}

/** As root on Debian/Ubuntu the set-up installs system packages itself, unless CINELAKE_SETUP_INSTALL=0. */
function canInstall() {
  return process.env.CINELAKE_SETUP_INSTALL !== "0" && process.getuid?.() === 0 && existsSync("/usr/bin/apt-get");
}

function installSystemTools(missing) {
  const packages = [...new Set(missing.flatMap((tool) => tool.packages))];
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  return timed(`installing ${packages.join(" ")} with apt-get (log: .lake/logs/setup-apt.log)`, async () => {
    await logged("apt-get update", "setup-apt-update.log", "apt-get", ["update", "-qq"], env);
    await logged("apt-get install", "setup-apt.log", "apt-get", ["install", "-y", "-qq", ...packages], env);
  });
}

async function setupNode(env) {
  if (needsNode() && !run(nodeBinary(), ["--version"]).output.startsWith(`v${NODE_MAJOR}.`))
    await timed(`Node ${NODE_MAJOR} for this Node ${process.versions.node} (npm package ${nodePackage()})`, () =>
      logged("Node install", "setup-node.log", "npm", [
        "install",
        "--prefix",
        NODE_DIR,
        "--no-save",
        "--no-package-lock",
        "--no-audit",
        "--no-fund",
        `${nodePackage()}@${NODE_MAJOR}`,
      ]),
    );
  if (npmPackagesStale())
    await timed("npm packages from package-lock.json (npm ci; log: .lake/logs/setup-npm.log)", () =>
      logged("npm ci", "setup-npm.log", "npm", ["ci", "--no-audit", "--no-fund"], env),
    );
}

async function setupPython(profile, env) {
  if (venvStale())
    await timed(
      "Python packages into .venv from glue/requirements.txt (log: .lake/logs/setup-python.log)",
      async () => {
        const python = join(VENV_BIN, "python");
        if (!existsSync(python)) await logged("venv", "setup-venv.log", findPython(), ["-m", "venv", VENV], env);
        if (!run(join(VENV_BIN, "uv"), ["--version"]).output.includes(UV_VERSION))
          await logged("uv install", "setup-uv.log", python, ["-m", "pip", "install", "-q", `uv==${UV_VERSION}`], env);
        await logged(
          "uv pip install",
          "setup-python.log",
          join(VENV_BIN, "uv"),
          ["pip", "install", "--python", python, "-r", REQUIREMENTS],
          env,
        );
        writeFileSync(VENV_STAMP, `${requirementsHash()}\n`);
      },
    );
  if (includes(profile, "spark") && jarsMissing())
    await timed(`s3a jars into the Ivy cache ${shown(ivyDir())} (log: .lake/logs/setup-jars.log)`, () =>
      logged("s3a jars", "setup-jars.log", join(VENV_BIN, "python"), ["-m", "cinelake.session"], {
        ...env,
        PYTHONPATH: join(ROOT, "glue"),
        SPARK_LOCAL_IP: env.SPARK_LOCAL_IP ?? "127.0.0.1",
      }),
    );
}

function pending(profile) {
  return (
    (needsNode() && !existsSync(nodeBinary())) ||
    npmPackagesStale() ||
    (includes(profile, "python") && venvStale()) ||
    (includes(profile, "spark") && jarsMissing())
  );
}

/** Brings the project to a working state for `profile`; exits non-zero with one line when it cannot. */
export async function setup(profile) {
  let missing = missingTools(profile);
  if (missing.length > 0 && canInstall()) {
    await installSystemTools(missing);
    java17 = undefined;
    missing = missingTools(profile);
  }
  if (missing.length > 0) {
    process.stderr.write(`${missingToolsLine(missing)}\n`);
    process.exit(1);
  }
  if (!pending(profile)) return childEnv();
  await lock();
  const env = childEnv();
  // npm and Python packages are independent downloads: fetch them at the same time.
  try {
    await Promise.all([setupNode(env), includes(profile, "python") ? setupPython(profile, env) : undefined]);
  } finally {
    unlock();
  }
  if (announced) say(`ready (${Math.round((Date.now() - started) / 1000)} s)`);
  return env;
}

async function main() {
  const argv = process.argv.slice(2);
  const split = argv.indexOf("--");
  const [profile, ...flags] = split < 0 ? argv : argv.slice(0, split);
  const command = split < 0 ? [] : argv.slice(split + 1);
  if (!PROFILES.includes(profile) || flags.some((flag) => flag !== "--verbose")) {
    process.stderr.write(`usage: node scripts/setup.mjs <${PROFILES.join("|")}> [--verbose] [-- command [args...]]\n`);
    process.exit(2);
  }
  let env;
  try {
    env = await setup(profile);
  } catch (error) {
    process.stderr.write(`setup: ${error.message}\n`);
    process.exit(1);
  }
  if (command.length === 0) return;
  const [program, ...args] = command;
  const child = spawn(program, args, { cwd: process.cwd(), env, stdio: "inherit" });
  // Ctrl-C reaches the command as well (same terminal): let it stop in its own way, then pass its exit code on.
  process.on("SIGINT", () => {});
  process.on("SIGTERM", () => child.kill("SIGTERM"));
  child.once("error", (error) => {
    process.stderr.write(`setup: could not start ${program}: ${error.message}\n`);
    process.exit(127);
  });
  child.once("exit", (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
