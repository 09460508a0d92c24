/**
 * scripts/setup.mjs, what every npm script runs first: a missing system tool stops it before any work with one line
 * and the install command; an up-to-date tree is not set up again; the command runs with the venv first on PATH, on
 * Node 22+, with its exit code passed on and Node's runtime notices in the log instead of the terminal.
 */
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(__dirname, "..", "..");
const SETUP = join(ROOT, "scripts", "setup.mjs");

function setup(args: string[], env: NodeJS.ProcessEnv = process.env) {
  const result = spawnSync(process.execPath, [SETUP, ...args], { cwd: ROOT, encoding: "utf8", env });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("scripts/setup.mjs", function () {
  this.timeout(60_000);

  it("refuses an unknown profile with its usage", () => {
    const run = setup(["everything"]);
    expect(run.status).to.equal(2);
    expect(run.stderr).to.match(/^usage: node scripts\/setup\.mjs <node\|python\|spark\|test>/);
  });

  it("stops before any work with one line naming the missing tools and the exact install command", () => {
    // A PATH holding only Node: podman and fuse-overlayfs (looked up on PATH only) cannot be found.
    const bin = mkdtempSync(join(tmpdir(), "cinelake-path-"));
    symlinkSync(process.execPath, join(bin, "node"));
    const env = { PATH: bin, HOME: process.env.HOME, CINELAKE_SETUP_INSTALL: "0" };
    const run = setup(["test", "--", "node", "-e", "console.log('the command ran')"], env);
    rmSync(bin, { recursive: true, force: true });
    expect(run.status).to.equal(1);
    expect(run.stdout).to.equal("");
    const lines = run.stderr.trim().split("\n");
    expect(lines, run.stderr).to.have.length(1);
    expect(lines[0]).to.match(/^setup: missing .*podman \(container test\).*fuse-overlayfs/);
    expect(lines[0]).to.match(/: install with sudo apt-get install -y (\S+ )*podman( \S+)* fuse-overlayfs/);
  });

  it("runs the command with the venv first on PATH, and says nothing when everything is set up", () => {
    const run = setup([
      "python",
      "--",
      "python3",
      "-c",
      "import sys, shutil; print(sys.prefix); print(shutil.which('moto_server'))",
    ]);
    expect(run.status, run.stderr).to.equal(0);
    expect(run.stdout.trim().split("\n")).to.deep.equal([
      join(ROOT, ".venv"),
      join(ROOT, ".venv", "bin", "moto_server"),
    ]);
    expect(run.stderr).to.equal("");
  });

  it("runs the command on Node 22 or newer and passes its exit code on", () => {
    const version = setup(["node", "--", "node", "-p", "process.versions.node"]);
    expect(Number(version.stdout.split(".")[0]), version.stderr).to.be.at.least(22);
    expect(setup(["node", "--", "node", "-e", "process.exit(3)"]).status).to.equal(3);
  });

  it("sends Node's runtime notices to .lake/logs/node-warnings.log, not to the terminal", () => {
    const marker = `cinelake-test-notice-${process.pid}-${Date.now()}`;
    const run = setup([
      "node",
      "--",
      "node",
      "-e",
      `process.emitWarning(${JSON.stringify(marker)}, "DeprecationWarning")`,
    ]);
    expect(run.status).to.equal(0);
    expect(run.stderr).to.equal("");
    expect(readFileSync(join(ROOT, ".lake", "logs", "node-warnings.log"), "utf8")).to.include(marker);
  });
});
