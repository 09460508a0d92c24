/**
 * The demo's prerequisites check: on this machine (the set-up ran) nothing is missing, and a Java that is not there
 * is named with its fix. The probes are real processes (python3, java, moto_server), run side by side.
 */
import { expect } from "chai";
import { findMissingPrerequisites, parseVersion } from "../../runtime/local/prerequisites";

describe("local prerequisites", function () {
  this.timeout(60_000);
  const saved = process.env.JAVA_HOME;
  afterEach(() => {
    if (saved === undefined) delete process.env.JAVA_HOME;
    else process.env.JAVA_HOME = saved;
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

  it("reads a version banner", () => {
    expect(parseVersion('openjdk version "17.0.13" 2024-10-15')).to.deep.equal([17, 0]);
    expect(parseVersion("no digits")).to.equal(undefined);
  });
});
