/**
 * `npm run preview`: the command as a student runs it (a child process), and its pure parts (costs, the tree).
 */
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { readLakeConfig } from "../../programs/config";
import { costDrivers, runsPerMonth } from "../../programs/preview/costs";
import { keySettings } from "../../programs/preview/report";
import { SECRET_PLACEHOLDER, readStackFile, stackFilePath } from "../../programs/preview/stack";
import type { RegisteredResource } from "../../programs/preview/mocks";

const ROOT = resolve(__dirname, "../..");

function preview(...args: string[]) {
  const run = spawnSync("npx", ["tsx", "programs/preview/cli.ts", ...args], { cwd: ROOT, encoding: "utf8" });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe("npm run preview", function () {
  this.timeout(180_000);

  it("prints the dev stack's resources, grants, costs and the validators' verdicts, and passes", () => {
    const run = preview("--stack", "dev");
    expect(run.code, run.stdout + run.stderr).to.equal(0);
    for (const heading of [
      "== What pulumi up would create",
      "== Grants, in plain words",
      "== Monthly cost drivers",
      "== Checks by validators we did not write",
    ])
      expect(run.stdout).to.include(heading);
    expect(run.stdout).to.match(/aws:lambda\/function:Function api-ingestor-fn {2}name=cinelake-dev-api-ingestor/);
    expect(run.stdout).to.include("role cinelake-dev-api-ingestor");
    expect(run.stdout).to.match(/✓ cfn-lint: 12 aws-native resources/);
    expect(run.stdout).to.match(/✓ parliament: \d+ IAM documents, 0 findings/);
    expect(run.stdout).to.match(/✓ policy pack: \d+ mandatory policies over \d+ resources, 0 violations/);
    expect(run.stdout).to.include("assumed: cinelake:tmdbToken");
    expect(run.stdout + run.stderr, "the secret's value is never printed").not.to.include(SECRET_PLACEHOLDER);
  });

  it("refuses a bad stack's config in one line per problem, naming the key and the fix", () => {
    const run = preview("--stack", "Bad_Name");
    expect(run.code).to.equal(2);
    expect(run.stderr).to.match(/cinelake:student: .*Fix: pulumi config set cinelake:student/);
    expect(run.stdout).not.to.include("== What pulumi up would create");
  });

  it("says what it needs when --stack is missing", () => {
    const run = preview();
    expect(run.code).to.equal(2);
    expect(run.stderr).to.match(/--stack is required/);
  });
});

describe("preview: cost drivers", () => {
  const dev = readStackFile(stackFilePath("dev")).values;
  const config = () =>
    readLakeConfig(
      {
        get: (key) => ({ ...dev, "cinelake:tmdbToken": "t" })[key],
        isSecret: (key) => key === "cinelake:tmdbToken",
      },
      "dev",
    );

  it("counts scheduled runs a month", () => {
    expect(runsPerMonth("rate(1 hour)")).to.equal(720);
    expect(runsPerMonth("rate(30 minutes)")).to.equal(1440);
    expect(runsPerMonth("cron(0 6 * * ? *)")).to.equal(30);
    expect(runsPerMonth(false)).to.equal(undefined);
    expect(runsPerMonth("cron(0 6 ? * MON *)"), "weekly: not guessed").to.equal(undefined);
  });

  it("prices Glue per workflow run, the Lambda per slice (a ceiling) and the QuickSight author", async () => {
    await pulumi.runtime.setMocks({ newResource: () => ({ id: "x", state: {} }), call: () => ({}) });
    const [glue, lambda, quicksight] = costDrivers(config());
    // 3 jobs × 2 workers × 1 DPU × 10 minutes = 1 DPU-hour a run; daily at 06:00 = 30 runs.
    expect(glue!.quantity).to.match(/^1\.00 DPU-hours per workflow run/);
    expect(glue!.monthlyUsd).to.be.closeTo(30 * 0.44, 1e-9);
    // 1024 MB × 900 s = 900 GB-seconds per slice at most; hourly = 720 slices.
    expect(lambda!.quantity).to.match(/^at most 900 GB-seconds per slice/);
    expect(lambda!.upperBound).to.equal(true);
    expect(quicksight!.monthlyUsd).to.equal(24);
  });
});

describe("preview: the resource tree", () => {
  it("shows key settings but never a secret input", () => {
    const resource = {
      type: "aws:lambda/function:Function",
      name: "fn",
      inputs: {
        name: "cinelake-dev-api-ingestor",
        memorySize: 1024,
        runtime: { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: "hidden" },
      },
    } as unknown as RegisteredResource;
    expect(keySettings(resource)).to.deep.equal(["name=cinelake-dev-api-ingestor", "memorySize=1024"]);
  });
});
