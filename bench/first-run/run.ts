/**
 * bench/first-run (not a test): a newcomer's first run, measured. A fresh clone of this repository's current commit,
 * with nothing installed — no node_modules, no .venv, no s3a jars, and empty npm, pip/uv and Ivy caches — then the
 * wall time of `npm run demo -- --no-serve` (its set-up included), then of `npm test`, each typed alone as the README
 * says. Prints both, the set-up's share, the test counts and the caches' sizes.
 *
 * usage: npm run bench -- bench/first-run/run.ts [--npm-cache DIR] [--pip-cache DIR] [--ivy-cache DIR]
 *                                                [--work DIR] [--no-test] [--keep]
 * Each cache folder must be new or empty (default: new folders under the work folder). System tools (Java, Chromium,
 * podman, ...) are the machine's: a machine without them adds their apt-get time to the first command.
 */
import { spawn, spawnSync } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { flagsOrExit, parseFlags } from "../../runtime/shared/flags";

const REPO = resolve(__dirname, "..", "..");

const { values } = flagsOrExit("first-run", () =>
  parseFlags({
    options: {
      "npm-cache": { type: "string" },
      "pip-cache": { type: "string" },
      "ivy-cache": { type: "string" },
      work: { type: "string" },
      "no-test": { type: "boolean" },
      keep: { type: "boolean" },
    },
  }),
);

const work = resolve(values.work ?? mkdtempSync(join(tmpdir(), "cinelake-first-run-")));
const caches = {
  npm: resolve(values["npm-cache"] ?? join(work, "npm-cache")),
  pip: resolve(values["pip-cache"] ?? join(work, "pip-cache")),
  ivy: resolve(values["ivy-cache"] ?? join(work, "ivy-cache")),
};
for (const [name, dir] of Object.entries(caches)) {
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    console.error(`--${name}-cache ${dir} is not empty: a first run needs an empty or new folder`);
    process.exit(2);
  }
  mkdirSync(dir, { recursive: true });
}

/**
 * The environment of a newcomer's shell: this checkout's own tools (its node_modules/.bin, .venv, Node 24, the
 * set-up's NODE_OPTIONS, npm's script variables) removed, the empty caches in place.
 */
function newcomerEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env))
    if (!/^npm_|^NODE_OPTIONS$|^VIRTUAL_ENV$|^INIT_CWD$/i.test(key)) env[key] = value;
  env.PATH = (process.env.PATH ?? "")
    .split(delimiter)
    .filter((dir) => dir && !resolve(dir).startsWith(`${REPO}/`) && !dir.includes("node_modules"))
    .join(delimiter);
  return {
    ...env,
    npm_config_cache: caches.npm,
    PIP_CACHE_DIR: join(caches.pip, "pip"),
    UV_CACHE_DIR: join(caches.pip, "uv"),
    CINELAKE_IVY_DIR: caches.ivy,
  };
}

/** Runs one command in the clone, its output to a log file; resolves with its exit code, wall time and output. */
function timed(
  clone: string,
  logName: string,
  args: string[],
): Promise<{ code: number; seconds: number; output: string }> {
  const log = createWriteStream(join(work, logName));
  const started = performance.now();
  const child = spawn("npm", args, { cwd: clone, env: newcomerEnv(), stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const keep = (chunk: Buffer) => {
    log.write(chunk);
    output += chunk.toString();
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  return new Promise((resolveRun) =>
    child.once("close", (code) => {
      log.end();
      resolveRun({ code: code ?? 1, seconds: (performance.now() - started) / 1000, output });
    }),
  );
}

function sizeMb(dir: string): number {
  const du = spawnSync("du", ["-sk", dir], { encoding: "utf8" });
  return Math.round(Number(du.stdout.split("\t")[0] ?? 0) / 1024);
}

/** The first number the pattern captures in the text, or undefined. */
function figure(text: string, pattern: RegExp): number | undefined {
  const match = pattern.exec(text);
  return match ? Number(match[1]) : undefined;
}

async function main(): Promise<void> {
  const commit = spawnSync("git", ["rev-parse", "--short", "HEAD"], { cwd: REPO, encoding: "utf8" }).stdout.trim();
  const clone = join(work, "cinelake");
  spawnSync("git", ["clone", "--quiet", REPO, clone], { stdio: "inherit" });
  for (const leftover of ["node_modules", ".venv", ".cache"])
    if (existsSync(join(clone, leftover))) throw new Error(`the clone already has ${leftover}`);
  console.log(
    `first run of ${commit} in ${clone}: Node ${process.versions.node}, ${cpus().length} cores, ` +
      `${Math.round(totalmem() / 2 ** 30)} GiB; caches npm ${caches.npm}, pip/uv ${caches.pip}, Ivy ${caches.ivy}`,
  );

  const demo = await timed(clone, "demo.log", ["run", "demo", "--", "--no-serve"]);
  const setupSeconds = figure(demo.output, /^setup: ready \((\d+) s\)$/m);
  const demoSeconds = figure(demo.output, /cinelake local run succeeded in ([\d.]+) s/);
  console.log(
    `npm run demo -- --no-serve, set-up included: ${demo.seconds.toFixed(1)} s (exit ${demo.code}; ` +
      `set-up ${setupSeconds ?? "?"} s, the demo's own run ${demoSeconds ?? "?"} s) — goal 180 s: ` +
      `${(demo.seconds / 180).toFixed(2)}× of it`,
  );
  const sizes = () =>
    `npm ${sizeMb(caches.npm)} MB, pip/uv ${sizeMb(caches.pip)} MB, Ivy ${sizeMb(caches.ivy)} MB; in the clone ` +
    `node_modules ${sizeMb(join(clone, "node_modules"))} MB, .venv ${sizeMb(join(clone, ".venv"))} MB, ` +
    `.cache ${sizeMb(join(clone, ".cache"))} MB`;
  console.log(`caches after the demo: ${sizes()}`);

  if (!values["no-test"]) {
    const test = await timed(clone, "test.log", ["test"]);
    const passing = figure(test.output, /^\s*(\d+) passing/m);
    const failing = figure(test.output, /^\s*(\d+) failing/m) ?? 0;
    const pytest =
      /^=*\s*(\d+ passed.*?) in [\d.]+s/m.exec(test.output)?.[1] ?? /^(\d+ passed.*) in /m.exec(test.output)?.[1];
    console.log(
      `npm test: ${test.seconds.toFixed(1)} s (exit ${test.code}; mocha ${passing ?? "?"} passing, ${failing} failing; ` +
        `pytest ${pytest ?? "did not run"})`,
    );
    console.log(`caches after the tests: ${sizes()}`);
  }
  console.log(`logs: ${join(work, "demo.log")}${values["no-test"] ? "" : `, ${join(work, "test.log")}`}`);
  if (!values.keep) {
    rmSync(clone, { recursive: true, force: true });
    for (const dir of Object.values(caches))
      if (dir.startsWith(`${work}/`)) rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(`first-run: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
