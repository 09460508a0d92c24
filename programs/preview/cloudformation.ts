/**
 * The CloudFormation-schema validator: the program's `aws-native` resources as a CloudFormation template, checked by
 * cfn-lint against CloudFormation's own resource schemas. The aws-native provider is generated from those schemas and
 * hands our inputs to Cloud Control, so a property name, enum value, pattern or length the schema refuses fails the
 * first `pulumi up` — which the mocks, echoing inputs back, never show.
 *
 * `validateCloudFormation(resources)` (used by `npm run preview` and test/validators/cloudformation.test.ts):
 * 1. gives each registered `aws-native:<service>:<Type>` resource a logical id and replaces every value that equals
 *    another converted resource's mock ARN with `{"Fn::GetAtt": [<LogicalId>, "Arn"]}` (or its opaque mock id with a
 *    `Ref`), so references between resources are real in the template and cfn-lint checks them as such;
 * 2. converts names to the schema's casing in programs/preview/cfn_template.py (the schema walk, done next to the
 *    schemas cfn-lint bundles);
 * 3. writes the template to a temporary folder, runs `cfn-lint --format json` on it, and returns the findings with
 *    the Pulumi resource each belongs to.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MOCK_REGION, plain, type RegisteredResource } from "./mocks";

/**
 * The command that installs the Python tools (cfn-lint, parliament, moto are pinned in glue/requirements.txt) into the
 * project's .venv; every npm script runs it first, so this is for a command run outside npm.
 */
export const CFN_LINT_INSTALL = "node scripts/setup.mjs python";

/** The type-token prefix of the resources this validator converts. */
export const AWS_NATIVE_PREFIX = "aws-native:";

/** A CloudFormation template as JSON. */
export interface CloudFormationTemplate {
  /** Always `2010-09-09`. */
  AWSTemplateFormatVersion: string;
  /** One entry per converted resource, by logical id. */
  Resources: Record<string, { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] }>;
}

/** A registered resource and the template resource it became. */
export interface ConvertedResource {
  /** The template's logical id (Pulumi's logical name without the characters CloudFormation refuses). */
  logicalId: string;
  /** The Pulumi logical name. */
  name: string;
  /** The Pulumi URN. */
  urn: string;
  /** The Pulumi type token, e.g. `aws-native:quicksight:DataSet`. */
  type: string;
  /** The CloudFormation type, e.g. `AWS::QuickSight::DataSet`. */
  cloudFormationType: string;
}

/** One cfn-lint finding. */
export interface CloudFormationFinding {
  /** The rule, e.g. `E3002` (E = error, W = warning, I = informational). */
  rule: string;
  /** cfn-lint's level. */
  level: "Error" | "Warning" | "Informational";
  /** cfn-lint's message. */
  message: string;
  /** Where in the template: `["Resources", <LogicalId>, "Properties", ...]` (numbers index arrays). */
  path: (string | number)[];
  /** The Pulumi resource the finding is in, when the path names one. */
  resource?: { logicalId: string; name: string; type: string };
}

/** What {@link validateCloudFormation} returns. */
export interface CloudFormationReport {
  /** The template cfn-lint checked. */
  template: CloudFormationTemplate;
  /** Every aws-native resource that became a template resource. */
  converted: ConvertedResource[];
  /** aws-native resources with no CloudFormation schema (each would fail `pulumi up`; empty when all is well). */
  unconverted: { name: string; type: string; reason: string }[];
  /** cfn-lint's findings, errors first. */
  findings: CloudFormationFinding[];
  /** The findings of level Error (what makes a deploy fail). */
  errors: CloudFormationFinding[];
  /** Where the template was written, when `keepTemplate` was asked for (otherwise the folder is removed). */
  templatePath?: string;
}

/** Options of {@link validateCloudFormation}. */
export interface CloudFormationOptions {
  /** The region whose schemas apply (default the mocks' region, `us-east-1`, as in Pulumi.dev.yaml). */
  region?: string;
  /** Leave the template in its temporary folder and return its path (e.g. for `npm run preview --keep`). */
  keepTemplate?: boolean;
  /** The Python interpreter (default `python3`). */
  python?: string;
  /** The cfn-lint command (default `cfn-lint` on PATH). */
  cfnLint?: string;
}

const HELPER = join(__dirname, "cfn_template.py");

/** A CloudFormation logical id (alphanumeric) from a Pulumi name: `dashboard-v_title_summary` → `DashboardVTitleSummary`. */
export function logicalIdOf(name: string): string {
  const id = name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join("");
  return id === "" ? "Resource" : id;
}

/**
 * Replaces, at any depth, each string equal to another converted resource's mock ARN with a `Fn::GetAtt ... Arn`, and
 * each equal to its opaque mock id (`<name>-id`) with a `Ref`. Only opaque ids count: a QuickSight resource's mock id
 * is its display name, which another resource may carry by coincidence (the analysis and the dashboard share one).
 */
function withReferences(
  value: unknown,
  self: string,
  arns: Map<string, string>,
  ids: Map<string, string>,
  used: Set<string>,
): unknown {
  if (typeof value === "string") {
    const byArn = arns.get(value);
    if (byArn !== undefined && byArn !== self) {
      used.add(byArn);
      return { "Fn::GetAtt": [byArn, "Arn"] };
    }
    const byId = ids.get(value);
    if (byId !== undefined && byId !== self) {
      used.add(byId);
      return { Ref: byId };
    }
    return value;
  }
  if (Array.isArray(value)) return value.map((item) => withReferences(item, self, arns, ids, used));
  if (typeof value === "object" && value !== null)
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, withReferences(item, self, arns, ids, used)]),
    );
  return value;
}

function run(
  command: string,
  args: string[],
  input?: string,
): Promise<{ stdout: string; stderr: string; code: number; missing: boolean }> {
  return new Promise((resolve) => {
    const child = execFile(command, args, { maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
      resolve({ stdout, stderr, code, missing: (error as NodeJS.ErrnoException | null)?.code === "ENOENT" });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** The one-line failure when the validator cannot run, naming the install line. */
function missingTool(what: string, detail: string): Error {
  return new Error(`${what} is not available (${detail.trim().split("\n").pop() ?? ""}): run \`${CFN_LINT_INSTALL}\``);
}

/**
 * Converts the registered aws-native resources into a CloudFormation template and runs cfn-lint on it. Resources of
 * other providers (`aws:`, `awsx:`, components) are not CloudFormation-shaped and are left out; every aws-native one
 * is either converted or listed in `unconverted`, never dropped. Rejects with a one-line message naming
 * {@link CFN_LINT_INSTALL} when python3, cfn-lint or its schemas are missing.
 */
export async function validateCloudFormation(
  resources: readonly RegisteredResource[],
  options: CloudFormationOptions = {},
): Promise<CloudFormationReport> {
  const region = options.region ?? MOCK_REGION;
  const native = resources.filter((resource) => resource.custom && resource.type.startsWith(AWS_NATIVE_PREFIX));
  const logicalIds = new Map<string, string>(); // urn → logical id
  const taken = new Set<string>();
  for (const resource of native) {
    const base = logicalIdOf(resource.name);
    let id = base;
    for (let n = 2; taken.has(id); n += 1) id = `${base}${n}`;
    taken.add(id);
    logicalIds.set(resource.urn, id);
  }
  const arns = new Map<string, string>();
  const ids = new Map<string, string>();
  for (const resource of native) {
    const id = logicalIds.get(resource.urn)!;
    if (typeof resource.state.arn === "string") arns.set(resource.state.arn, id);
    ids.set(`${resource.name}-id`, id);
  }
  const request: Record<string, { type: string; properties: unknown; dependsOn?: string[] }> = {};
  for (const resource of native) {
    const id = logicalIds.get(resource.urn)!;
    const used = new Set<string>();
    const properties = withReferences(plain(resource.inputs), id, arns, ids, used);
    // Ordering the engine would enforce beyond the references (explicit dependsOn between aws-native resources).
    const dependsOn = resource.dependencies
      .map((urn) => logicalIds.get(urn))
      .filter((dep): dep is string => dep !== undefined && dep !== id && !used.has(dep));
    request[id] = {
      type: resource.type,
      properties,
      ...(dependsOn.length ? { dependsOn: [...new Set(dependsOn)] } : {}),
    };
  }

  const python = options.python ?? "python3";
  const built = await run(python, [HELPER], JSON.stringify({ region, resources: request }));
  if (built.missing) throw missingTool(python, "not on PATH");
  if (built.code !== 0) {
    if (/ModuleNotFoundError|No module named/.test(built.stderr)) throw missingTool("cfn-lint (Python)", built.stderr);
    throw new Error(`cfn_template.py failed: ${built.stderr.trim()}`);
  }
  const { template, unconverted } = JSON.parse(built.stdout) as {
    template: CloudFormationTemplate;
    unconverted: { logicalId: string; type: string; reason: string }[];
  };
  const byId = new Map(native.map((resource) => [logicalIds.get(resource.urn)!, resource]));

  const folder = await mkdtemp(join(tmpdir(), "cinelake-cfn-"));
  const templatePath = join(folder, "template.json");
  let findings: CloudFormationFinding[];
  try {
    await writeFile(templatePath, JSON.stringify(template, null, 1));
    const lint = await run(options.cfnLint ?? "cfn-lint", [
      "--format",
      "json",
      "--regions",
      region,
      "--",
      templatePath,
    ]);
    if (lint.missing) throw missingTool("cfn-lint", "not on PATH");
    // cfn-lint exits non-zero when it finds something; its JSON on stdout is the answer either way.
    let raw: CfnLintMatch[];
    try {
      raw = JSON.parse(lint.stdout) as CfnLintMatch[];
    } catch {
      throw new Error(`cfn-lint gave no JSON (exit ${lint.code}): ${lint.stderr.trim().split("\n").pop() ?? ""}`);
    }
    findings = raw.map((match) => {
      const path = match.Location?.Path ?? [];
      const resource = path[0] === "Resources" ? byId.get(String(path[1])) : undefined;
      return {
        rule: match.Rule.Id,
        level: match.Level,
        message: match.Message,
        path,
        ...(resource ? { resource: { logicalId: String(path[1]), name: resource.name, type: resource.type } } : {}),
      };
    });
  } finally {
    if (!options.keepTemplate) await rm(folder, { recursive: true, force: true });
  }
  const rank = { Error: 0, Warning: 1, Informational: 2 } as const;
  findings.sort((a, b) => rank[a.level] - rank[b.level] || a.rule.localeCompare(b.rule));
  const converted: ConvertedResource[] = [...byId.entries()]
    .filter(([id]) => template.Resources[id] !== undefined)
    .map(([logicalId, resource]) => ({
      logicalId,
      name: resource.name,
      urn: resource.urn,
      type: resource.type,
      cloudFormationType: template.Resources[logicalId]!.Type,
    }));
  return {
    template,
    converted,
    unconverted: unconverted.map((u) => ({
      name: byId.get(u.logicalId)?.name ?? u.logicalId,
      type: u.type,
      reason: u.reason,
    })),
    findings,
    errors: findings.filter((finding) => finding.level === "Error"),
    ...(options.keepTemplate ? { templatePath } : {}),
  };
}

/** The part of cfn-lint's `--format json` output read here. */
interface CfnLintMatch {
  Rule: { Id: string };
  Level: CloudFormationFinding["level"];
  Message: string;
  Location?: { Path?: (string | number)[] };
}

/** One line per finding, for printing: `E3002 DashboardVTitleSummary/Properties/...: message`. */
export function formatFinding(finding: CloudFormationFinding): string {
  return `${finding.rule} ${finding.path.slice(1).join("/")}: ${finding.message}`;
}
