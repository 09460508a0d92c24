/**
 * Runs Pulumi components under `pulumi.runtime.setMocks` (no AWS, no CLI) and records every resource they register,
 * with the options the engine would receive (parent, dependencies, delete-before-replace), so tests, the preview and
 * the validators can look at exactly what `pulumi up` would ask AWS for. The mocks echo inputs back: they show what
 * we register, never that AWS accepts it (that is what the validators in programs/preview are for).
 */
import * as pulumi from "@pulumi/pulumi";

/** One resource the program registered, with the inputs it was given (secret inputs stay wrapped: see `isSecret`). */
export interface RegisteredResource {
  /** The type token, e.g. `aws:s3/bucket:Bucket` or `aws-native:quicksight:DataSet`. */
  type: string;
  /** The logical name. */
  name: string;
  /** The inputs as registered (secret inputs stay wrapped). */
  inputs: Record<string, unknown>;
  /** The URN the mock engine gave it. */
  urn: string;
  /** The parent's URN ("" for the stack's direct children). */
  parent: string;
  /** Whether a provider manages it (false for component resources). */
  custom: boolean;
  /** The URNs it depends on: explicit `dependsOn` plus the resources its inputs come from. */
  dependencies: string[];
  /** Whether a replacement deletes the old resource before creating the new one. */
  deleteBeforeReplace: boolean;
  /** The outputs the mocks answered with (inputs plus a realistic `arn`, `id`, ...). */
  state: Record<string, unknown>;
  /**
   * The aliases the engine received (a former type, name or parent, or a former URN): what lets `pulumi up` move an
   * existing resource to its new URN instead of replacing it.
   */
  aliases: RegisteredAlias[];
}

/** One alias as the engine receives it: a whole former URN, or the parts of it that changed. */
export interface RegisteredAlias {
  /** A former URN, when the alias was given as one. */
  urn?: string;
  /** The former type token (e.g. `cinelake:storage:DataLakeBucket`), when it changed. */
  type?: string;
  /** The former logical name, when it changed. */
  name?: string;
  /** The former parent's URN, when it changed. */
  parentUrn?: string;
}

/** The part of the engine's Alias message the recorder reads (a URN, or a spec of the changed parts). */
interface AliasMessage {
  getUrn(): string;
  getSpec(): { getType(): string; getName(): string; getParenturn(): string } | undefined;
}

/** The part of the engine's RegisterResourceRequest the recorder reads. */
interface RegisterRequest {
  getParent(): string;
  getType(): string;
  getName(): string;
  getCustom(): boolean;
  getDependenciesList(): string[];
  getDeletebeforereplace(): boolean;
  getPropertydependenciesMap(): { forEach(visit: (value: { getUrnsList(): string[] }) => void): void };
  getAliasesList(): AliasMessage[];
  getAliasurnsList(): string[];
}

/** The aliases of a request, with empty fields left out. */
function requestAliases(request: RegisterRequest | undefined): RegisteredAlias[] {
  if (!request) return [];
  // The SDK sends structured aliases when the monitor supports them (the mock monitor does), URNs otherwise.
  const structured = request.getAliasesList().map((alias): RegisteredAlias => {
    const spec = alias.getSpec();
    if (!spec) return { urn: alias.getUrn() };
    const parts = { type: spec.getType(), name: spec.getName(), parentUrn: spec.getParenturn() };
    return Object.fromEntries(Object.entries(parts).filter(([, value]) => value !== "")) as RegisteredAlias;
  });
  return [...structured, ...request.getAliasurnsList().map((urn) => ({ urn }))];
}

/** The parts of Pulumi's mock monitor the recorder uses. */
interface MockMonitor {
  registerResource(request: RegisterRequest, callback: unknown): unknown;
  newUrn(parent: string, type: string, name: string): string;
}

// The request being registered: the mock monitor calls newResource synchronously from registerResource, so the
// request the engine received is known while newResource runs.
let currentRequest: RegisterRequest | undefined;

/** The resources registered since the last `resetRegistered()`. */
export const registered: RegisteredResource[] = [];

/** Forgets the recorded resources (call in `beforeEach`). */
export function resetRegistered(): void {
  registered.length = 0;
}

/** The fixed account, region and partition the mocks answer with. */
export const MOCK_ACCOUNT = "123456789012";
/** The region the mocks answer with. */
export const MOCK_REGION = "us-east-1";

// The wire signature Pulumi gives secret values; the mocks receive inputs in that form.
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** True when a recorded input value was passed to the resource as a secret. */
export function isSecret(value: unknown): boolean {
  return typeof value === "object" && value !== null && (value as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

/** A recorded input with its secret wrappers removed, at any depth. */
export function plain(value: unknown): unknown {
  if (isSecret(value)) return plain((value as { value: unknown }).value);
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === "object" && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
}

/** A realistic ARN (and extra outputs) for the types whose ARN shape matters to policies and wiring. */
function mockState(type: string, physical: string, inputs: Record<string, unknown>): Record<string, unknown> {
  const account = MOCK_ACCOUNT;
  const region = MOCK_REGION;
  switch (type) {
    case "aws:s3/bucket:Bucket":
      return { arn: `arn:aws:s3:::${physical}`, bucket: physical };
    case "aws:iam/role:Role":
      return { arn: `arn:aws:iam::${account}:role/${physical}` };
    case "aws:iam/user:User":
      return { arn: `arn:aws:iam::${account}:user/${physical}` };
    case "aws:iam/policy:Policy":
      return { arn: `arn:aws:iam::${account}:policy/${physical}` };
    case "aws:lambda/function:Function":
      return {
        arn: `arn:aws:lambda:${region}:${account}:function:${physical}`,
        invokeArn: `arn:aws:apigateway:${region}:lambda:path/2015-03-31/functions/arn:aws:lambda:${region}:${account}:function:${physical}/invocations`,
      };
    case "aws:lambda/layerVersion:LayerVersion":
      return { arn: `arn:aws:lambda:${region}:${account}:layer:${inputs.layerName ?? physical}:1` };
    case "aws:sqs/queue:Queue":
      return {
        arn: `arn:aws:sqs:${region}:${account}:${physical}`,
        url: `https://sqs.${region}.amazonaws.com/${account}/${physical}`,
      };
    case "aws:cloudwatch/logGroup:LogGroup":
      return { arn: `arn:aws:logs:${region}:${account}:log-group:${physical}` };
    case "aws:secretsmanager/secret:Secret":
      return { arn: `arn:aws:secretsmanager:${region}:${account}:secret:${physical}-AbCdEf` };
    case "aws:ecr/repository:Repository":
      return {
        arn: `arn:aws:ecr:${region}:${account}:repository/${physical}`,
        repositoryUrl: `${account}.dkr.ecr.${region}.amazonaws.com/${physical}`,
      };
    case "docker:index/image:Image":
      return { repoDigest: `${String(inputs.imageName).replace(/:[^:/]+$/, "")}@sha256:${"0".repeat(64)}` };
    case "aws:cloudwatch/eventRule:EventRule":
      return { arn: `arn:aws:events:${region}:${account}:rule/${physical}` };
    case "aws:cloudwatch/metricAlarm:MetricAlarm":
      return { arn: `arn:aws:cloudwatch:${region}:${account}:alarm:${physical}` };
    case "aws:glue/job:Job":
      return { arn: `arn:aws:glue:${region}:${account}:job/${physical}` };
    default:
      return { arn: `arn:aws:${type.split(":")[1]?.split("/")[0] ?? "mock"}:${region}:${account}:${physical}` };
  }
}

/**
 * Installs the mocks for a project and stack, with the stack's config (`secretKeys` lists the keys stored as secrets). Physical names are the given `name`/`bucket` (or the logical name), ARNs
 * are fake but shaped like AWS's for the types policies refer to, and `aws:index/getCallerIdentity` and friends answer
 * with a fixed account.
 */
export async function useMocks(
  options: { project?: string; stack?: string; config?: Record<string, string>; secretKeys?: string[] } = {},
) {
  const project = options.project ?? "cinelake";
  const stack = options.stack ?? "test";
  const config = { "aws:region": MOCK_REGION, ...(options.config ?? {}) };
  // The mock monitor (created by setMocks below) names resources; the recorder uses its URNs so dependencies match.
  const engine: { monitor?: MockMonitor } = {};
  await pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs) {
        const inputs = plain(args.inputs) as Record<string, unknown>;
        const named = inputs.name ?? inputs.bucket;
        const physical = String(named ?? args.name);
        const state = { ...args.inputs, name: physical, ...mockState(args.type, physical, inputs) };
        const request = currentRequest;
        const dependencies = new Set(request?.getDependenciesList() ?? []);
        request
          ?.getPropertydependenciesMap()
          .forEach((urns) => urns.getUrnsList().forEach((urn) => dependencies.add(urn)));
        const parent = request?.getParent() ?? "";
        registered.push({
          type: args.type,
          name: args.name,
          inputs: args.inputs,
          urn: engine.monitor?.newUrn(parent, args.type, args.name) ?? args.name,
          parent,
          custom: args.custom ?? true,
          dependencies: [...dependencies],
          deleteBeforeReplace: request?.getDeletebeforereplace() ?? false,
          state: plain(state) as Record<string, unknown>,
          aliases: requestAliases(request),
        });
        return {
          // Like AWS, a resource with an explicit name (bucket, role, ...) is identified by it.
          id: named === undefined ? `${args.name}-id` : String(named),
          state,
        };
      },
      call(args: pulumi.runtime.MockCallArgs) {
        if (args.token === "aws:index/getCallerIdentity:getCallerIdentity")
          return { accountId: MOCK_ACCOUNT, arn: `arn:aws:iam::${MOCK_ACCOUNT}:user/test`, userId: "test" };
        if (args.token === "aws:index/getRegion:getRegion")
          return { name: MOCK_REGION, id: MOCK_REGION, region: MOCK_REGION };
        if (args.token === "aws:ecr/getAuthorizationToken:getAuthorizationToken")
          return {
            userName: "AWS",
            password: "mock-ecr-password",
            proxyEndpoint: `https://${MOCK_ACCOUNT}.dkr.ecr.${MOCK_REGION}.amazonaws.com`,
          };
        if (args.token === "aws:index/getPartition:getPartition")
          return { partition: "aws", dnsSuffix: "amazonaws.com" };
        return args.inputs;
      },
    },
    project,
    stack,
    false,
  );
  // Record the engine-level request of each registration (see currentRequest).
  const monitor = pulumi.runtime.getMonitor() as unknown as MockMonitor;
  engine.monitor = monitor;
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (request, callback) => {
    currentRequest = request;
    try {
      return register(request, callback);
    } finally {
      currentRequest = undefined;
    }
  };
  pulumi.runtime.setAllConfig(
    Object.fromEntries(Object.entries(config).map(([k, v]) => [k, v])),
    options.secretKeys ?? [],
  );
}

/** Resolves a Pulumi output in a test. */
export function valueOf<T>(output: pulumi.Output<T> | pulumi.Input<T>): Promise<T> {
  return new Promise((resolve) => pulumi.output(output).apply((value) => resolve(value as T)));
}

/** Resolves whether an output is secret. */
export function isSecretOutput(output: pulumi.Output<unknown>): Promise<boolean> {
  return pulumi.isSecret(output);
}

/** Waits until no new resource has been registered for a few event-loop turns (components register asynchronously). */
export async function settle(quietTurns = 20): Promise<void> {
  let last = -1;
  let quiet = 0;
  while (quiet < quietTurns) {
    await new Promise((resolve) => setTimeout(resolve, 2));
    if (registered.length === last) quiet += 1;
    else {
      last = registered.length;
      quiet = 0;
    }
  }
}

/** The registered resources of one type (e.g. `aws:s3/bucket:Bucket`). */
export function ofType(type: string): RegisteredResource[] {
  return registered.filter((resource) => resource.type === type);
}

/** The single registered resource of a type (fails when there are none or several). */
export function oneOfType(type: string): RegisteredResource {
  const found = ofType(type);
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0]!;
}

/** Parses a recorded JSON policy input (secret wrappers removed). */
export function parsePolicy(value: unknown): { Version: string; Statement: Record<string, unknown>[] } {
  return JSON.parse(String(plain(value)));
}
