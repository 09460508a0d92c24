import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { GLUE_SHARED_PACKAGE, JOBS, JOB_NAMES, jobArguments, type JobName } from "../../lake/jobs";
import { DATASETS, SYSTEM_PREFIXES, lakeKey } from "../../lake/paths";
import { generateSample } from "../../runtime/sample/generate";
import { ConfigError } from "../../components/naming";
import { TABLES } from "../../lake/tables";
import { GLUE_4_ONLY_ARGUMENTS, SparkJob, jobScriptKeys, type SparkJobArgs } from "../../components/sparkJob";
import { lakeSparkJob } from "../../programs/lake";
import type { PolicyDocument } from "../../components/policy";
import { checkCron } from "../../components/schedule";
import { describeDenied, evaluateS3Requests, type RecordedRequest } from "../support/s3Requests";
import {
  ofType,
  oneOfType,
  registered,
  parsePolicy,
  plain,
  resetRegistered,
  settle,
  useMocks,
  valueOf,
} from "../support/pulumiMocks";

const BUCKET = "cinelake-test-lake";
const bucket = { bucketName: BUCKET, bucketArn: `arn:aws:s3:::${BUCKET}` };

type Statement = { Effect: string; Action: string | string[]; Resource?: string | string[]; Condition?: unknown };

const list = (value: string | string[] | undefined) => (value === undefined ? [] : [value].flat());
const wildcard = (pattern: string) =>
  new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`);

/** Whether the policy allows an object action on a key of the lake bucket (Allow statements only, wildcards honoured). */
function allowsObject(statements: Statement[], action: string, key: string): boolean {
  const arn = `${bucket.bucketArn}/${key}`;
  return statements.some(
    (s) =>
      s.Effect === "Allow" &&
      list(s.Action).some((a) => wildcard(a).test(action)) &&
      list(s.Resource).some((r) => wildcard(r).test(arn)),
  );
}

/** The ListBucket statements: the jobs need one without conditions (Hadoop's probes of absent keys must get 404). */
function listStatements(statements: Statement[]): Statement[] {
  return statements.filter((s) => list(s.Action).includes("s3:ListBucket"));
}

/** Every prefix any job reads or writes, to check a job cannot reach the others'. */
const ALL_PREFIXES = [...new Set(JOB_NAMES.flatMap((name) => [...JOBS[name].reads, ...JOBS[name].writes]))];

/** A movies job's SparkJob arguments, as programs/lake.ts passes them, with the given overrides. */
type MovieJobArgs = Omit<Partial<SparkJobArgs>, "job"> & { job: JobName };

function makeJob(name: string, { job, ...args }: MovieJobArgs): SparkJob {
  return new SparkJob(name, { bucket, job: lakeSparkJob(job, BUCKET), packageDir: GLUE_SHARED_PACKAGE, ...args });
}

/** Where a movies job's code lands in the bucket. */
const scriptKeys = (job: JobName) => {
  const keys = jobScriptKeys(JOBS[job], GLUE_SHARED_PACKAGE);
  return { ...keys, packageZip: keys.packageZip! };
};

/** The recorded Glue job whose logical name starts with the component's name. */
const glueJob = (name: string) => ofType("aws:glue/job:Job").find((r) => r.name === `${name}-job`)!.inputs;

describe("SparkJob", () => {
  before(() => useMocks({ stack: "test" }));
  beforeEach(resetRegistered);

  for (const jobName of JOB_NAMES) {
    describe(`job ${jobName}`, () => {
      // The entry scripts land one by one while the jobs are written; a job whose script is missing is reported skipped.
      beforeEach(function () {
        if (!existsSync(join(process.cwd(), JOBS[jobName].script))) this.skip();
      });

      it("uploads the entry script and the zipped shared package to the scripts prefix", async () => {
        const job = makeJob(`upload-${jobName}`, { job: jobName });
        await valueOf(job.jobName);
        await settle();
        const objects = ofType("aws:s3/bucketObjectv2:BucketObjectv2").map((r) => r.inputs);
        const keys = scriptKeys(jobName);
        const script = objects.find((o) => o.key === keys.script)!;
        const pkg = objects.find((o) => o.key === keys.packageZip)!;
        // Assets reach the mocks as FileAssets whose path is still a promise.
        const assetPath = (object: Record<string, unknown>) => (object.source as { path: Promise<string> }).path;
        expect(objects).to.have.length(2);
        expect(keys.script.startsWith(SYSTEM_PREFIXES.scripts)).to.equal(true);
        expect(script.bucket).to.equal(BUCKET);
        expect(await assetPath(script)).to.equal(join(process.cwd(), JOBS[jobName].script));
        expect(pkg.bucket).to.equal(BUCKET);
        expect(pkg.contentType).to.equal("application/zip");

        // Python itself reads the zip: the package sits at its root and imports from it, as on Glue.
        const zipPath = await assetPath(pkg);
        const listing = execFileSync("python3", ["-m", "zipfile", "-l", zipPath], { encoding: "utf8" });
        expect(listing).to.match(/^cinelake\/__init__\.py\s/m);
        const imported = execFileSync(
          "python3",
          ["-c", "import sys; sys.path.insert(0, sys.argv[1]); import cinelake; print(cinelake.__file__)", zipPath],
          { encoding: "utf8" },
        );
        expect(imported.trim()).to.equal(`${zipPath}/cinelake/__init__.py`);

        const glue = glueJob(`upload-${jobName}`);
        expect((glue.command as Record<string, unknown>).scriptLocation).to.equal(`s3://${BUCKET}/${keys.script}`);
        expect(await valueOf(job.scriptLocation)).to.equal(`s3://${BUCKET}/${keys.script}`);
      });

      it("gives the Glue job its prefixes, date, package, temp dir, bookmark, metrics and logging as defaults", async () => {
        const job = makeJob(`args-${jobName}`, { job: jobName });
        expect(await valueOf(job.jobName)).to.equal(`cinelake-test-${jobName}`);
        await settle();
        const glue = glueJob(`args-${jobName}`);
        const args = glue.defaultArguments as Record<string, string>;
        for (const [name, value] of Object.entries(jobArguments(jobName, `s3://${BUCKET}/`)))
          expect(args[`--${name}`], name).to.equal(value);
        expect(args["--lake_root"]).to.equal(`s3://${BUCKET}/`);
        expect(args["--date"]).to.equal("latest");
        expect(args["--extra-py-files"]).to.equal(`s3://${BUCKET}/${scriptKeys(jobName).packageZip}`);
        expect(args["--TempDir"]).to.equal(`s3://${BUCKET}/${scriptKeys(jobName).tempDir}`);
        expect(args["--job-bookmark-option"]).to.equal("job-bookmark-disable");
        expect(args["--enable-metrics"]).to.equal("true");
        // Glue 5 logs in real time; the Glue 4 continuous-logging flag would be ignored there (deploy finding 7).
        for (const flag of Object.keys(GLUE_4_ONLY_ARGUMENTS)) expect(args, flag).to.not.have.property(flag);
        expect(glue).to.deep.include({ glueVersion: "5.1", workerType: "G.1X", numberOfWorkers: 2, maxRetries: 0 });
        expect((glue.command as Record<string, unknown>).name).to.equal("glueetl");
        expect(glue.roleArn).to.equal(await valueOf(job.roleArn));
      });

      it("runs as a Glue role reaching exactly its own prefixes, scripts and Glue logs", async () => {
        makeJob(`role-${jobName}`, { job: jobName });
        await settle();
        const role = oneOfType("aws:iam/role:Role").inputs;
        const trust = JSON.parse(String(role.assumeRolePolicy));
        expect(trust.Statement).to.deep.equal([
          { Effect: "Allow", Principal: { Service: "glue.amazonaws.com" }, Action: "sts:AssumeRole" },
        ]);
        const statements = parsePolicy(oneOfType("aws:iam/rolePolicy:RolePolicy").inputs.policy)
          .Statement as Statement[];
        const def = JOBS[jobName];
        const keys = scriptKeys(jobName);

        for (const prefix of def.reads) {
          expect(allowsObject(statements, "s3:GetObject", `${prefix}2022/05/02/x`), `read ${prefix}`).to.equal(true);
          if (!def.writes.includes(prefix))
            expect(allowsObject(statements, "s3:PutObject", `${prefix}x`), `no write to ${prefix}`).to.equal(false);
        }
        for (const prefix of def.writes)
          for (const action of ["s3:PutObject", "s3:DeleteObject", "s3:GetObject"])
            expect(allowsObject(statements, action, `${prefix}part-0.parquet`), `${action} ${prefix}`).to.equal(true);
        for (const prefix of ALL_PREFIXES.filter((p) => !def.reads.includes(p) && !def.writes.includes(p)))
          for (const action of ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"])
            expect(allowsObject(statements, action, `${prefix}x`), `${action} on another job's ${prefix}`).to.equal(
              false,
            );
        // Its own code is readable, not writable; the other jobs' code is out of reach.
        expect(allowsObject(statements, "s3:GetObject", keys.script)).to.equal(true);
        expect(allowsObject(statements, "s3:GetObject", keys.packageZip)).to.equal(true);
        expect(allowsObject(statements, "s3:PutObject", keys.script)).to.equal(false);
        expect(allowsObject(statements, "s3:PutObject", `${keys.tempDir}spill`)).to.equal(true);
        for (const other of JOB_NAMES.filter((n) => n !== jobName))
          expect(allowsObject(statements, "s3:GetObject", scriptKeys(other).script)).to.equal(false);
        // Hadoop's folder probes (HEAD on the prefix without its slash and on its ancestors) answer 404, not 403,
        // but only on those exact keys.
        for (const prefix of [...def.reads, ...def.writes]) {
          const folder = prefix.slice(0, -1);
          expect(allowsObject(statements, "s3:GetObject", folder), `probe ${folder}`).to.equal(true);
          expect(allowsObject(statements, "s3:GetObject", folder.split("/")[0]!), `probe zone of ${folder}`).to.equal(
            true,
          );
          expect(allowsObject(statements, "s3:GetObject", `${folder}_$folder$`)).to.equal(true);
          expect(allowsObject(statements, "s3:GetObject", `${folder}Evil`), `${folder}Evil`).to.equal(false);
          expect(allowsObject(statements, "s3:PutObject", folder), `no write on ${folder}`).to.equal(false);
        }
        // Nothing on the bucket outside those prefixes (no Raw/ or Refined/ wholesale, no bucket-wide wildcard).
        expect(allowsObject(statements, "s3:GetObject", "Unrelated/x")).to.equal(false);
        const s3Resources = statements
          .filter((s) => list(s.Action).some((a) => a.startsWith("s3:")))
          .flatMap((s) => list(s.Resource));
        expect(s3Resources).to.not.include("*");
        expect(s3Resources).to.not.include(`${bucket.bucketArn}/*`);
        expect(listStatements(statements)).to.deep.equal([
          { Sid: "ListBucket", Effect: "Allow", Action: ["s3:ListBucket"], Resource: [bucket.bucketArn] },
        ]);
        // Glue's own log groups only.
        const logs = statements.find((s) => list(s.Action).includes("logs:PutLogEvents"))!;
        for (const resource of list(logs.Resource)) expect(resource).to.match(/:log-group:\/aws-glue\//);
      });
    });
  }

  it("ships a package that works from inside its zip, as Glue imports it: the registry loads", async () => {
    makeJob("zip-registry", { job: "refined" });
    await settle();
    const pkg = ofType("aws:s3/bucketObjectv2:BucketObjectv2").find((r) => String(r.inputs.key).endsWith(".zip"))!;
    const zipPath = await (pkg.inputs.source as { path: Promise<string> }).path;
    // A clean interpreter in an empty folder, so only the zip can provide `cinelake` (as with --extra-py-files).
    const loaded = execFileSync(
      "python3",
      [
        "-c",
        "import json, sys; sys.path.insert(0, sys.argv[1]); from cinelake import registry; " +
          "print(json.dumps([t['name'] for t in registry.registry()['tables']]))",
        zipPath,
      ],
      { encoding: "utf8", cwd: mkdtempSync(join(tmpdir(), "zip-import-")), env: { ...process.env, PYTHONPATH: "" } },
    );
    expect(JSON.parse(loaded)).to.deep.equal(TABLES.map((t) => t.name));
  });

  it("zips the whole package: subpackages and registry.json, no bytecode caches, none of the local-only code", async () => {
    makeJob("zip-listing", { job: "refined" });
    await settle();
    const pkg = ofType("aws:s3/bucketObjectv2:BucketObjectv2").find((r) => String(r.inputs.key).endsWith(".zip"))!;
    expect(pkg.inputs.key).to.equal("_system/scripts/refined/cinelake.zip");
    const zipPath = await (pkg.inputs.source as { path: Promise<string> }).path;
    const names = JSON.parse(
      execFileSync(
        "python3",
        ["-c", "import json, sys, zipfile; print(json.dumps(zipfile.ZipFile(sys.argv[1]).namelist()))", zipPath],
        { encoding: "utf8" },
      ),
    ) as string[];
    // What the package folder holds, walked apart from the zip writer (git's view: tracked and new files alike).
    const onDisk = execFileSync(
      "git",
      ["ls-files", "--cached", "--others", "--exclude-standard", GLUE_SHARED_PACKAGE],
      {
        encoding: "utf8",
      },
    )
      .split("\n")
      .filter((path) => path !== "" && existsSync(path) && !path.includes("__pycache__"))
      .map((path) => path.replace(/^glue\//, ""));
    expect(names).to.have.members(onDisk);
    expect(names).to.include("cinelake/registry.json");
    expect(
      names.filter((name) => /^cinelake\/[a-z_]+\/__init__\.py$/.test(name)).length,
      "subpackages",
    ).to.be.greaterThan(0);
    expect(names.filter((name) => name.includes("__pycache__") || name.endsWith(".pyc"))).to.deep.equal([]);
    expect(names.every((name) => name.startsWith("cinelake/"))).to.equal(true);
  });

  it("runs the real trusted-csv script on local Spark against S3, every request allowed by its role's policy", async function () {
    this.timeout(900_000);
    makeJob("iam-e2e", { job: "trusted-csv" });
    await settle();
    const policy = parsePolicy(oneOfType("aws:iam/rolePolicy:RolePolicy").inputs.policy) as unknown as PolicyDocument;
    const role = oneOfType("aws:iam/role:Role");
    const glue = glueJob("iam-e2e");
    const raw = mkdtempSync(join(tmpdir(), "sparkjob-raw-"));
    await generateSample({ outDir: raw, titles: 60 });
    const day = "2022-05-02";
    const uploads = {
      [lakeKey({ ...DATASETS.rawMoviesCsv, date: day, file: "movies.csv" })]: join(raw, "movies.csv"),
      [lakeKey({ ...DATASETS.rawSeriesCsv, date: day, file: "series.csv" })]: join(raw, "series.csv"),
      // Another job's input: must stay out of this job's reach.
      [lakeKey({ ...DATASETS.rawTmdbMovies, date: day, file: "603.json" })]: join(raw, "movies.csv"),
    };
    const output = execFileSync("python3", [join(__dirname, "sparkJob.iam-harness.py")], {
      input: JSON.stringify({
        bucket: BUCKET,
        arguments: glue.defaultArguments,
        script: join(process.cwd(), JOBS["trusted-csv"].script),
        pythonpath: join(process.cwd(), "glue"),
        uploads,
      }),
      encoding: "utf8",
      stdio: ["pipe", "pipe", "pipe"],
      maxBuffer: 64 * 1024 * 1024,
    });
    const result = JSON.parse(output) as {
      returncode: number;
      log_tail: string;
      keys_before: string[];
      keys_after: string[];
      requests: RecordedRequest[];
    };
    expect(result.returncode, result.log_tail).to.equal(0);
    // Every S3 request the job made, evaluated with AWS's rules against the policy the component registers.
    const policies = { principalArn: String(role.state.arn), identityPolicies: [policy], bucket: BUCKET };
    const results = await evaluateS3Requests(result.requests, policies);
    expect(result.requests.length, "requests recorded").to.be.greaterThan(100);
    expect(describeDenied(results)).to.equal("");
    // Hadoop checks outputs that do not exist yet (HEAD answered 404): only the bucket-wide ListBucket makes that a 404.
    expect(results.some((r) => r.request.status === 404 && r.action === "s3:ListBucket")).to.equal(true);
    // The evaluation can say no: another job's input is denied.
    const probe = { ...result.requests[0]!, method: "GET", key: Object.keys(uploads)[2]!, query: {}, status: 200 };
    expect((await evaluateS3Requests([probe], policies))[0]!.decision).to.equal("ImplicitlyDenied");
    const written = result.keys_after.filter((key) => !result.keys_before.includes(key));
    const def = JOBS["trusted-csv"];
    for (const prefix of [...def.writes.filter((p) => p.startsWith("Trusted/")), def.prefixes.report_prefix!])
      expect(
        written.some((key) => key.startsWith(prefix)),
        `wrote under ${prefix}`,
      ).to.equal(true);
    for (const key of written)
      expect(
        def.writes.some((prefix) => key.startsWith(prefix)),
        `${key} is inside the job's write prefixes`,
      ).to.equal(true);
  });

  it("wires a schedule and an after-success trigger to the right jobs", async () => {
    const first = makeJob("chain-first", { job: "trusted-tmdb", schedule: "cron(0 6 * * ? *)" });
    const second = makeJob("chain-second", { job: "refined", startAfter: first });
    const [firstName, secondName] = [await valueOf(first.jobName), await valueOf(second.jobName)];
    await settle();
    const triggers = ofType("aws:glue/trigger:Trigger").map((r) => plain(r.inputs) as Record<string, unknown>);
    const scheduled = triggers.find((t) => t.type === "SCHEDULED")!;
    const conditional = triggers.find((t) => t.type === "CONDITIONAL")!;
    expect(triggers).to.have.length(2);
    expect(scheduled).to.deep.include({ schedule: "cron(0 6 * * ? *)", startOnCreation: true });
    expect(scheduled.actions).to.deep.equal([{ jobName: firstName }]);
    expect(conditional.predicate).to.deep.equal({
      conditions: [{ jobName: firstName, state: "SUCCEEDED", logicalOperator: "EQUALS" }],
    });
    expect(conditional.actions).to.deep.equal([{ jobName: secondName }]);
    expect(conditional.startOnCreation).to.equal(true);
    expect(await valueOf(second.triggerName)).to.equal(conditional.name);
  });

  it("creates no trigger when none is asked for", async () => {
    const job = makeJob("no-trigger", { job: "trusted-csv" });
    await settle();
    expect(ofType("aws:glue/trigger:Trigger")).to.have.length(0);
    expect(await valueOf(job.triggerName)).to.equal(undefined);
  });

  it("builds every physical name from the name prefix and tags every child with project, stack and the caller's tags", async () => {
    const job = new SparkJob("books", {
      bucket,
      job: {
        name: "books",
        script: JOBS.refined.script,
        arguments: { lake_root: "s3://b/" },
        reads: ["A/"],
        writes: ["B/"],
      },
      namePrefix: "books",
      stackName: "alice",
      schedule: "cron(0 6 * * ? *)",
      tags: { owner: "library" },
    });
    expect(await valueOf(job.jobName)).to.equal("books-alice-books");
    await settle();
    expect(oneOfType("aws:iam/role:Role").inputs.name).to.equal("books-alice-books-glue");
    expect(oneOfType("aws:glue/trigger:Trigger").inputs.name).to.equal("books-alice-books-schedule");
    expect(oneOfType("cinelake:index:SparkJob").name).to.equal("books");
    for (const child of registered.filter((r) => r.custom && r.type !== "aws:iam/rolePolicy:RolePolicy"))
      expect(plain(child.inputs.tags), child.type).to.deep.equal({
        project: "books",
        stack: "alice",
        owner: "library",
      });
    // No package given: none uploaded, none on the Glue path.
    expect(ofType("aws:s3/bucketObjectv2:BucketObjectv2").map((r) => r.inputs.key)).to.deep.equal([
      `_system/scripts/books/${JOBS.refined.script.split("/").pop()}`,
    ]);
    const args = glueJob("books").defaultArguments as Record<string, string>;
    expect(args).to.not.have.property("--extra-py-files");
    expect(args["--lake_root"]).to.equal("s3://b/");
    expect(await valueOf(job.jobArn)).to.equal("arn:aws:glue:us-east-1:123456789012:job/books-alice-books");
    expect(await valueOf(job.roleName)).to.equal("books-alice-books-glue");
  });

  it("adds the extra statements to the role's policy", async () => {
    const extra = { Sid: "Extra", Effect: "Allow", Action: ["glue:GetTable"], Resource: ["*"] };
    makeJob("extra", { job: "refined", extraPolicyStatements: [extra] });
    await settle();
    const statements = parsePolicy(oneOfType("aws:iam/rolePolicy:RolePolicy").inputs.policy).Statement;
    expect(statements).to.deep.include(extra);
  });

  it("passes chosen settings and extra arguments through, and leaves metrics out when turned off", async () => {
    makeJob("tuned", {
      job: "trusted-csv",
      workerType: "G.2X",
      numberOfWorkers: 5,
      timeoutMinutes: 120,
      maxRetries: 1,
      bookmark: "enable",
      metrics: false,
      extraArguments: { "--conf": "spark.sql.shuffle.partitions=64" },
    });
    await settle();
    const glue = glueJob("tuned");
    expect(glue).to.deep.include({ workerType: "G.2X", numberOfWorkers: 5, timeout: 120, maxRetries: 1 });
    const args = glue.defaultArguments as Record<string, string>;
    expect(args["--conf"]).to.equal("spark.sql.shuffle.partitions=64");
    expect(args["--job-bookmark-option"]).to.equal("job-bookmark-enable");
    expect(args).to.not.have.property("--enable-metrics");
    const statements = parsePolicy(oneOfType("aws:iam/rolePolicy:RolePolicy").inputs.policy).Statement as Statement[];
    expect(statements.flatMap((s) => list(s.Action))).to.not.include("cloudwatch:PutMetricData");
  });

  describe("refuses bad arguments before AWS is called, naming the setting", () => {
    const csv = lakeSparkJob("trusted-csv", BUCKET);
    const cases: [string, Partial<SparkJobArgs>, string][] = [
      ["one worker", { numberOfWorkers: 1 }, "numberOfWorkers"],
      ["a fractional worker count", { numberOfWorkers: 2.5 }, "numberOfWorkers"],
      ["a streaming-only worker type", { workerType: "G.025X" as never }, "workerType"],
      ["Glue 4.0", { glueVersion: "4.0" }, "glueVersion"],
      ["a zero timeout", { timeoutMinutes: 0 }, "timeoutMinutes"],
      ["too many retries", { maxRetries: 11 }, "maxRetries"],
      ["an unknown bookmark option", { bookmark: "on" as never }, "bookmark"],
      ["a five-field Unix cron", { schedule: "0 6 * * *" }, "schedule"],
      ["a cron without ?", { schedule: "cron(0 6 * * * *)" }, "schedule"],
      ["a cron minute out of range", { schedule: "cron(61 6 * * ? *)" }, "schedule"],
      [
        "both a schedule and a job to follow",
        { schedule: "cron(0 6 * * ? *)", startAfter: { jobName: "x" } },
        "schedule",
      ],
      ["a managed argument overridden", { extraArguments: { "--TempDir": "s3://x/" } }, "extraArguments"],
      [
        "Glue 4's continuous-logging flag, which Glue 5 ignores",
        { extraArguments: { "--enable-continuous-cloudwatch-log": "true" } },
        "extraArguments",
      ],
      ["a job prefix overridden", { extraArguments: { "--lake_root": "s3://x/" } }, "extraArguments"],
      ["an argument without --", { extraArguments: { conf: "x" } }, "extraArguments"],
      [
        "an argument Glue does not know (the jobs would refuse it at run time)",
        { extraArguments: { "--my_flag": "x" } },
        "extraArguments",
      ],
      ["a job name with capitals", { job: { ...csv, name: "Gold" } }, "job.name"],
      ["a job argument written with --", { job: { ...csv, arguments: { "--date": "latest" } } }, "job.arguments"],
      ["a read prefix without its slash", { job: { ...csv, reads: ["Raw/Local"] } }, "job.reads"],
      ["an empty write prefix, which would grant the bucket", { job: { ...csv, writes: [""] } }, "job.writes"],
      ["an entry script that does not exist", { job: { ...csv, script: "glue/nope.py" } }, "job.script"],
      ["a package folder without __init__.py", { packageDir: "glue" }, "packageDir"],
      ["a name prefix with a hyphen", { namePrefix: "my-lake" }, "namePrefix"],
      ["a bad stack name", { stackName: "Alice" }, "stackName"],
      [
        "an extra statement without Effect",
        { extraPolicyStatements: [{ Action: "s3:GetObject" }] },
        "extraPolicyStatements",
      ],
    ];
    for (const [label, args, setting] of cases)
      it(label, () => {
        const build = () =>
          new SparkJob(`bad-${label}`, { bucket, job: csv, packageDir: GLUE_SHARED_PACKAGE, ...args });
        expect(build)
          .to.throw(ConfigError)
          .with.property("setting")
          .that.satisfies((s: string) => s.startsWith(setting));
        expect(build).to.throw(/Fix: /);
        // Checked before super(): nothing at all was registered, not even the component.
        expect(registered).to.have.length(0);
      });

    it("a source tree without the entry script", () => {
      const empty = mkdtempSync(join(tmpdir(), "sparkjob-"));
      expect(() => makeJob("bad-source", { job: "refined", sourceRoot: empty }))
        .to.throw(ConfigError, /refined\.py/)
        .with.property("setting", "job.script");
    });
  });

  it("accepts the cron forms Glue documents", () => {
    for (const expression of [
      "cron(0 6 * * ? *)",
      "cron(15 12 ? * MON-FRI *)",
      "cron(0/30 8-18 ? * 2-6 *)",
      "cron(0 0 L * ? *)",
      "cron(0 10 ? * 6#3 2026-2030)",
      "cron(0 0 1,15 JAN,JUL ? *)",
    ])
      expect(checkCron(expression, "schedule"), expression).to.equal(expression);
  });
});
