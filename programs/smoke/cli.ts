/**
 * `npm run smoke -- --stack <student>` (or `--outputs <file.json>`): the post-deploy smoke check of a stack on AWS.
 * Reads the stack's outputs, then checks the bucket's settings, runs one ApiIngestor slice, starts the Glue workflow,
 * queries every Athena view once and looks the dashboard up, printing one line per check; exits 1 if any failed.
 * Credentials come from the SDK's default chain (environment, profile, SSO); the region from the outputs.
 */
import { AthenaClient } from "@aws-sdk/client-athena";
import { GlueClient } from "@aws-sdk/client-glue";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { QuickSightClient } from "@aws-sdk/client-quicksight";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { ConfigError } from "../../lake/errors";
import { USAGE_EXIT_CODE, UsageError, exitCodeOf, numberSetting, parseFlags } from "../../runtime/shared/flags";
import { makeS3Client } from "../../runtime/shared/s3Client";
import {
  CHECK_GROUPS,
  errorLine,
  formatResult,
  parseSmokeOutputs,
  runSmokeChecks,
  stackRegion,
  summarize,
  type CheckGroup,
  type SmokeClients,
  type SmokeOptions,
  type SmokeOutputs,
} from "./checks";

const REPO_ROOT = resolve(__dirname, "..", "..");

/** The one-line usage, printed by `--help` and after a bad argument. */
export const SMOKE_USAGE =
  "usage: npm run smoke -- (--stack <student> | --outputs <file.json>) [--wait [--wait-minutes N]] " +
  `[--query-seconds N] [--skip ${CHECK_GROUPS.join(",")}]`;

/** The parsed command line. */
export interface SmokeArgs {
  /** Where the outputs come from: a Pulumi stack, or a file written by `pulumi stack output --json`. */
  source: { stack: string } | { outputsFile: string };
  /** Minutes to follow the workflow run for; undefined: only check that it started. */
  waitMinutes?: number;
  /** Each Athena query's timeout. */
  querySeconds: number;
  skip: CheckGroup[];
}

/** A duration flag: a number above 0 (fractions allowed), refused with the flag's name and an example. */
const duration = (flag: string, value: string | undefined, example: number) =>
  numberSetting(flag, value, { fraction: true, aboveMin: true, example });

/**
 * Parses the command line; throws a UsageError (the command line as a whole) or a ConfigError (one flag's value)
 * naming what is wrong; the CLI prints the usage below either.
 */
export function parseSmokeArgs(argv: string[]): SmokeArgs {
  const { values, positionals } = parseFlags({
    args: argv,
    allowPositionals: true,
    options: {
      stack: { type: "string" },
      outputs: { type: "string" },
      wait: { type: "boolean" },
      "wait-minutes": { type: "string" },
      "query-seconds": { type: "string" },
      skip: { type: "string" },
    },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument(s) ${positionals.join(" ")}`);
  if (!values.stack === !values.outputs) throw new UsageError(`give exactly one of --stack or --outputs`);
  if (values["wait-minutes"] !== undefined && !values.wait)
    throw new UsageError(`--wait-minutes needs --wait (without it the workflow run is only checked to have started)`);
  const skip = (values.skip ?? "")
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name !== "");
  const unknown = skip.filter((name) => !(CHECK_GROUPS as readonly string[]).includes(name));
  if (unknown.length > 0)
    throw new ConfigError("--skip", `unknown check(s) ${unknown.join(", ")}`, `name only ${CHECK_GROUPS.join(", ")}`);
  return {
    source: values.stack ? { stack: values.stack } : { outputsFile: resolve(values.outputs as string) },
    ...(values.wait ? { waitMinutes: duration("--wait-minutes", values["wait-minutes"], 60) ?? 60 } : {}),
    querySeconds: duration("--query-seconds", values["query-seconds"], 120) ?? 120,
    skip: skip as CheckGroup[],
  };
}

/** Runs `pulumi stack output --json --stack <stack>` in the project folder; resolves to its stdout. */
export function pulumiStackOutputs(stack: string, cwd = REPO_ROOT): Promise<string> {
  return new Promise((resolveOutput, reject) => {
    execFile(
      "pulumi",
      ["stack", "output", "--json", "--stack", stack],
      { cwd, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (!error) return resolveOutput(stdout);
        if ((error as NodeJS.ErrnoException).code === "ENOENT")
          return reject(
            new Error(
              "the pulumi CLI is not on PATH: install it, or pass --outputs <file.json> " +
                "(written elsewhere with pulumi stack output --json --stack <student> > outputs.json)",
            ),
          );
        const reason =
          stderr
            .trim()
            .split("\n")
            .find((line) => line.trim() !== "") ?? error.message;
        reject(new Error(`pulumi stack output --json --stack ${stack} failed: ${reason}`));
      },
    );
  });
}

/** Reads and checks the outputs from the stack or the file. */
export async function loadOutputs(
  source: SmokeArgs["source"],
  readStack: (stack: string) => Promise<string> = pulumiStackOutputs,
): Promise<{ outputs: SmokeOutputs; from: string }> {
  const [text, from] =
    "stack" in source
      ? [await readStack(source.stack), `the outputs of stack ${source.stack}`]
      : [
          await readFile(source.outputsFile, "utf8").catch((error: NodeJS.ErrnoException) => {
            throw new Error(
              `--outputs ${source.outputsFile}: ${error.code === "ENOENT" ? "no such file" : error.message}`,
            );
          }),
          source.outputsFile,
        ];
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${from} is not JSON: write it with pulumi stack output --json`);
  }
  return { outputs: parseSmokeOutputs(json, from), from };
}

/**
 * The SDK clients for the region. Endpoints follow the standard AWS environment (`AWS_ENDPOINT_URL`,
 * `AWS_ENDPOINT_URL_<SERVICE>`), which is how the tests aim the CLI at a local server.
 */
export function makeClients(region: string, env: NodeJS.ProcessEnv = process.env): SmokeClients {
  return {
    s3: makeS3Client({ ...env, AWS_REGION: region }),
    // One attempt: a retried Invoke would run a second slice (and a slice can take minutes).
    lambda: new LambdaClient({ region, maxAttempts: 1 }),
    glue: new GlueClient({ region }),
    athena: new AthenaClient({ region }),
    quicksight: new QuickSightClient({ region }),
    sts: new STSClient({ region }),
  };
}

/** Options for {@link runSmoke}, for the tests. */
export interface RunSmokeDeps {
  env?: NodeJS.ProcessEnv;
  readStack?: (stack: string) => Promise<string>;
  print?: (line: string) => void;
  clients?: (region: string) => SmokeClients;
}

/** The whole command: resolves to the exit code (1 when any check failed). */
export async function runSmoke(args: SmokeArgs, deps: RunSmokeDeps = {}): Promise<number> {
  const env = deps.env ?? process.env;
  const print = deps.print ?? ((line: string) => console.log(line));
  const { outputs, from } = await loadOutputs(args.source, deps.readStack);
  const { region, from: regionFrom } = stackRegion(outputs, env);
  const clients = (deps.clients ?? ((name: string) => makeClients(name, env)))(region);
  // One call first, so missing or expired credentials give one line instead of every check failing the same way.
  const identity = await clients.sts.send(new GetCallerIdentityCommand({})).catch((error: unknown) => {
    throw new Error(
      `could not authenticate to AWS (${errorLine(error)}): set credentials (aws configure, aws sso login, or ` +
        "AWS_PROFILE) and try again",
    );
  });
  print(
    `smoke check of ${from}: bucket ${outputs.bucket}, region ${region} (from ${regionFrom}), as ${identity.Arn ?? "?"}`,
  );
  const options: SmokeOptions = {
    skip: args.skip,
    queryWait: { timeoutMs: args.querySeconds * 1000, pollMs: 1000 },
    ...(args.waitMinutes !== undefined
      ? { workflowWait: { timeoutMs: args.waitMinutes * 60_000, pollMs: 30_000 } }
      : {}),
  };
  const results = await runSmokeChecks(clients, outputs, options, (result) => print(formatResult(result)));
  const summary = summarize(results);
  print(summary.line);
  return summary.failed ? 1 : 0;
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(SMOKE_USAGE);
    process.exit(0);
  }
  // Parsing inside the promise, so a bad argument gets the same one-line message as any other failure.
  Promise.resolve()
    .then(() => runSmoke(parseSmokeArgs(argv)))
    .then((code) => process.exit(code))
    .catch((error: unknown) => {
      console.error(`smoke: ${error instanceof Error ? error.message : String(error)}`);
      const code = exitCodeOf(error);
      if (code === USAGE_EXIT_CODE) console.error(SMOKE_USAGE);
      process.exit(code);
    });
}
