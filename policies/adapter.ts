/**
 * Runs the pack's policies over the resources a mocked run of the program registered (programs/preview), without the
 * Pulumi CLI: each resource becomes the `ResourceValidationArgs` (its inputs) and `PolicyResource` (its outputs) the
 * engine would build, with parents and dependencies linked, and violations are collected instead of sent over gRPC.
 *
 * Used by test/policies and by `npm run preview`:
 *
 * ```ts
 * const { resources, lake } = await previewStack("dev");
 * const outputs = { bucket: await valueOf(lake.outputs.bucket), ... };
 * for (const v of runPolicies(resources, { stackOutputs: outputs })) console.log(`${v.policy}: ${v.message}`);
 * ```
 */
import type {
  EnforcementLevel,
  PolicyResource,
  PolicyResourceOptions,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { plain, type RegisteredResource } from "../programs/preview/mocks";
import { CINELAKE_POLICIES, TYPES } from "./policies";

/** One violation, as the CLI prints it under "Policy Violations". */
export interface PolicyViolation {
  /** The policy's name, e.g. `iam-no-wildcards`. */
  policy: string;
  /** Its enforcement level (`mandatory` for every cinelake policy: the CLI fails the preview/update). */
  enforcementLevel: EnforcementLevel;
  /** The URN of the resource in violation, or undefined when the stack as a whole is. */
  resource?: string;
  /** The resource's type token, when a resource is named. */
  resourceType?: string;
  /** The resource's logical name, when a resource is named. */
  resourceName?: string;
  /** What is wrong and how to fix it; never contains a secret's value. */
  message: string;
}

/** What one policy concluded. */
export interface PolicyVerdict {
  /** The policy's name. */
  policy: string;
  /** What it enforces (its description). */
  description: string;
  /** Its enforcement level. */
  enforcementLevel: EnforcementLevel;
  /** `resource` (run once per resource, on its inputs) or `stack` (once, on every resource's outputs). */
  kind: "resource" | "stack";
  /** Resources it applied to: for a resource policy those it did not declare not applicable; for a stack policy all. */
  checked: number;
  /** Why it did not apply at all (e.g. no lake bucket, no stack outputs given), if so. */
  notApplicable?: string;
  /** Its violations (empty: passed). */
  violations: PolicyViolation[];
}

/** The result of {@link evaluatePolicies}. */
export interface PolicyEvaluation {
  /** How many resources were handed to the policies (the registered ones, plus the stack resource when synthesized). */
  resources: number;
  /** One verdict per policy, in the pack's order. */
  verdicts: PolicyVerdict[];
  /** Every violation, in the pack's order. */
  violations: PolicyViolation[];
}

/** Options of {@link evaluatePolicies} and {@link runPolicies}. */
export interface RunPoliciesOptions {
  /**
   * The stack's outputs (resolved values), checked as the engine does after `pulumi up`: the mocks register no
   * `pulumi:pulumi:Stack` resource, so without them `stack-outputs-no-secrets` is reported not applicable.
   */
  stackOutputs?: Record<string, unknown>;
  /** The policies to run (default: the pack's, {@link CINELAKE_POLICIES}). */
  policies?: (ResourceValidationPolicy | StackValidationPolicy)[];
  /** Stack tags, as `pulumi stack tag` sets them (none by default). */
  stackTags?: Record<string, string>;
}

class NotApplicable extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

const throwNotApplicable = (reason?: string): never => {
  throw new NotApplicable(reason ?? "not applicable");
};

function options(resource: RegisteredResource | undefined): PolicyResourceOptions {
  return {
    protect: false,
    ignoreChanges: [],
    deleteBeforeReplace: resource?.deleteBeforeReplace ?? false,
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
    ...(resource?.parent ? { parent: resource.parent } : {}),
  };
}

// `isType`/`asType` compare against the class's `__pulumiType`, as the policy SDK does.
const pulumiTypeOf = (resourceClass: unknown) => (resourceClass as { __pulumiType?: string }).__pulumiType;

/** `urn:pulumi:<stack>::<project>::...` → stack and project. */
function stackOf(resources: RegisteredResource[]): { stack: string; project: string } {
  const match = /^urn:pulumi:([^:]+)::([^:]+)::/.exec(resources[0]?.urn ?? "");
  return { stack: match?.[1] ?? "stack", project: match?.[2] ?? "project" };
}

/**
 * The stack as the engine hands it to stack policies: every resource with its outputs (the mocks' `state`, secrets
 * unwrapped as the policy SDK does), parent and dependencies linked; plus the `pulumi:pulumi:Stack` resource carrying
 * `stackOutputs` when given. The mocks do not record per-property dependencies, so `propertyDependencies` is empty and
 * companions are matched by their `bucket` value (which the mocks know).
 */
export function toPolicyResources(
  resources: RegisteredResource[],
  stackOutputs?: Record<string, unknown>,
): PolicyResource[] {
  const byUrn = new Map<string, PolicyResource>();
  const make = (
    type: string,
    name: string,
    urn: string,
    props: Record<string, unknown>,
    source?: RegisteredResource,
  ) => {
    const resource: PolicyResource = {
      type,
      name,
      urn,
      props,
      opts: options(source),
      dependencies: [],
      propertyDependencies: {},
      isType: (resourceClass) => pulumiTypeOf(resourceClass) === type,
      asType: ((resourceClass: unknown) =>
        pulumiTypeOf(resourceClass) === type ? props : undefined) as PolicyResource["asType"],
    };
    byUrn.set(urn, resource);
    return resource;
  };
  const list = resources.map((resource) =>
    make(resource.type, resource.name, resource.urn, plain(resource.state) as Record<string, unknown>, resource),
  );
  if (stackOutputs) {
    const { stack, project } = stackOf(resources);
    const name = `${project}-${stack}`;
    list.push(
      make(
        TYPES.stack,
        name,
        `urn:pulumi:${stack}::${project}::${TYPES.stack}::${name}`,
        plain(stackOutputs) as Record<string, unknown>,
      ),
    );
  }
  resources.forEach((source, index) => {
    const resource = list[index]!;
    const parent = byUrn.get(source.parent);
    if (parent) resource.parent = parent;
    resource.dependencies = source.dependencies
      .map((urn) => byUrn.get(urn))
      .filter((found): found is PolicyResource => found !== undefined);
  });
  return list;
}

/** The arguments a resource policy gets for one resource: its inputs, secrets unwrapped. */
function resourceArgs(resource: RegisteredResource, stackTags: ReadonlyMap<string, string>): ResourceValidationArgs {
  const props = plain(resource.inputs) as Record<string, unknown>;
  return {
    type: resource.type,
    props,
    urn: resource.urn,
    name: resource.name,
    opts: options(resource),
    stackTags,
    isType: (resourceClass) => pulumiTypeOf(resourceClass) === resource.type,
    asType: ((resourceClass: unknown) =>
      pulumiTypeOf(resourceClass) === resource.type ? props : undefined) as ResourceValidationArgs["asType"],
    getConfig: <T extends object>() => ({}) as T,
    notApplicable: throwNotApplicable,
  };
}

/** Runs a validation and insists it is synchronous (every cinelake policy is; a Promise would be dropped). */
function runSync(policy: string, run: () => unknown): void {
  const result = run();
  if (result && typeof (result as { then?: unknown }).then === "function")
    throw new Error(`policy ${policy} is asynchronous; runPolicies only runs synchronous policies`);
}

/**
 * Runs every policy over a stack's registered resources and says, per policy, what it checked and found. Resource
 * policies see each resource's inputs (as before `pulumi up` creates it), stack policies every resource's outputs
 * (as after). A policy that throws anything but "not applicable" fails the call, as it fails the CLI's preview.
 */
export function evaluatePolicies(resources: RegisteredResource[], opts: RunPoliciesOptions = {}): PolicyEvaluation {
  const policies = opts.policies ?? CINELAKE_POLICIES;
  const stackTags: ReadonlyMap<string, string> = new Map(Object.entries(opts.stackTags ?? {}));
  const stackResources = toPolicyResources(resources, opts.stackOutputs);
  const byUrn = new Map(stackResources.map((resource) => [resource.urn, resource]));
  const verdicts: PolicyVerdict[] = [];
  for (const policy of policies) {
    const enforcementLevel = policy.enforcementLevel ?? "advisory";
    const kind = "validateStack" in policy ? "stack" : "resource";
    const verdict: PolicyVerdict = {
      policy: policy.name,
      description: policy.description,
      enforcementLevel,
      kind,
      checked: 0,
      violations: [],
    };
    verdicts.push(verdict);
    if (enforcementLevel === "disabled") continue;
    const violation = (message: string, urn?: string): PolicyViolation => {
      const resource = urn === undefined ? undefined : byUrn.get(urn);
      return {
        policy: policy.name,
        enforcementLevel,
        message,
        ...(urn === undefined ? {} : { resource: urn }),
        ...(resource ? { resourceType: resource.type, resourceName: resource.name } : {}),
      };
    };
    if ("validateStack" in policy) {
      const args: StackValidationArgs = {
        resources: stackResources,
        stackTags,
        getConfig: <T extends object>() => ({}) as T,
        notApplicable: throwNotApplicable,
      };
      try {
        runSync(policy.name, () =>
          policy.validateStack(args, (message, urn) => verdict.violations.push(violation(message, urn))),
        );
        verdict.checked = stackResources.length;
      } catch (error) {
        if (!(error instanceof NotApplicable)) throw error;
        verdict.notApplicable = error.reason;
      }
      continue;
    }
    const validations = policy.validateResource === undefined ? [] : [policy.validateResource].flat();
    let applied = 0;
    let reason: string | undefined;
    for (const resource of resources) {
      let applies = false;
      for (const validate of validations) {
        try {
          runSync(policy.name, () =>
            validate(resourceArgs(resource, stackTags), (message) =>
              // A resource policy's violations are always about the resource validated (the SDK ignores a urn).
              verdict.violations.push(violation(message, resource.urn)),
            ),
          );
          applies = true;
        } catch (error) {
          if (!(error instanceof NotApplicable)) throw error;
          reason = error.reason;
        }
      }
      if (applies) applied += 1;
    }
    verdict.checked = applied;
    if (applied === 0) verdict.notApplicable = reason ?? "no resource to check";
  }
  return {
    resources: stackResources.length,
    verdicts,
    violations: verdicts.flatMap((verdict) => verdict.violations),
  };
}

/**
 * Every violation of the pack's policies over a stack's registered resources (empty: the stack keeps the secure
 * defaults). `npm run preview` prints these; see {@link evaluatePolicies} for per-policy verdicts and counts.
 */
export function runPolicies(resources: RegisteredResource[], opts: RunPoliciesOptions = {}): PolicyViolation[] {
  return evaluatePolicies(resources, opts).violations;
}
