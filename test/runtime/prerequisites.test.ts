/**
 * The demo's prerequisites check: on this machine (the set-up ran) nothing is missing, and a Java that is not there
 * is named with its fix, and so are the Glue packages and moto's server when python3 is one without them. The probes
 * are real processes (python3, java), run side by side.
 */
import { expect } from "chai";
import { execFile } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { findMissingPrerequisites, parseVersion } from "../../runtime/local/prerequisites";

const execFileAsync = promisify(execFile);

describe("local prerequisites", function () {
  this.timeout(60_000);
  const saved = { JAVA_HOME: process.env.JAVA_HOME, PATH: process.env.PATH };
  afterEach(() => {
    for (const [name, value] of Object.entries(saved))
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
  });

  it("finds nothing missing where the set-up ran", async () => {
    expect(await findMissingPrerequisites()).to.deep.equal([]);
  });

  it("names a missing Java and its fix", async () => {
    process.env.JAVA_HOME = "/nonexistent-jdk";
    const missing = await findMissingPrerequisites();
    expect(missing.map((item) => item.what)).to.deep.equal(["Java 17 (Spark 3.5, as on Glue 5.1)"]);
    expect(missing[0]?.found).to.equal("not found");
    expect(missing[0]?.fix).to.contain("JAVA_HOME");
  });

  it("names the Glue packages and moto's server missing from a python3 without site-packages", async () => {
    // A python3 that starts with -S (no site-packages, so none of the set-up's packages) on a PATH of only it and
    // Java's folder (so no moto_server, not even a version manager's shim): a machine where the set-up never ran.
    const shims = await mkdtemp(join(tmpdir(), "cinelake-prereq-"));
    const { stdout: python } = await execFileAsync("python3", ["-c", "import sys; print(sys.executable)"]);
    const java = process.env.JAVA_HOME
      ? `${process.env.JAVA_HOME}/bin/java`
      : (await execFileAsync("sh", ["-c", "command -v java"])).stdout;
    await writeFile(join(shims, "python3"), `#!/bin/sh\nexec "${python.trim()}" -S "$@"\n`, { mode: 0o755 });
    process.env.PATH = [shims, dirname(java.trim())].join(":");
    const missing = await findMissingPrerequisites();
    expect(missing.map((item) => item.what)).to.deep.equal([
      "the Python packages of the Glue jobs (pyspark, duckdb, sqlglot, moto)",
      "moto's S3 API server (moto_server)",
    ]);
    expect(missing[0]?.found).to.match(/^missing: pyspark, /);
    expect(missing[0]?.fix).to.contain("glue/requirements.txt");
  });

  it("reads a version banner", () => {
    expect(parseVersion('openjdk version "17.0.13" 2024-10-15')).to.deep.equal([17, 0]);
    expect(parseVersion("no digits")).to.equal(undefined);
  });
});
