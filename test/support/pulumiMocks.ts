/**
 * Runs Pulumi components under `pulumi.runtime.setMocks` (no AWS, no CLI) and records every resource they register,
 * so tests can assert on properties, policies and wiring.
 */
import * as pulumi from "@pulumi/pulumi";

/** One resource the program registered, with the inputs it was given. */
export interface RegisteredResource {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

/** The resources registered since the last `resetRegistered()`. */
export const registered: RegisteredResource[] = [];

/** Forgets the recorded resources (call in `beforeEach`). */
export function resetRegistered(): void {
  registered.length = 0;
}

/**
 * Installs the mocks for a project and stack. Physical names are the logical names (or the given `name`/`bucket`), ARNs
 * are fake but well formed, and `aws:index/getCallerIdentity` and friends answer with a fixed account.
 */
export async function useMocks(options: { project?: string; stack?: string; config?: Record<string, string> } = {}) {
  const project = options.project ?? "cinelake";
  const stack = options.stack ?? "test";
  const config = { "aws:region": "us-east-1", ...(options.config ?? {}) };
  await pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs) {
        registered.push({ type: args.type, name: args.name, inputs: args.inputs });
        const physical = args.inputs.name ?? args.inputs.bucket ?? args.name;
        const arn = `arn:aws:${args.type.split(":")[1]?.split("/")[0] ?? "mock"}:us-east-1:123456789012:${physical}`;
        return {
          id: `${args.name}-id`,
          state: { ...args.inputs, name: physical, arn, bucket: args.inputs.bucket ?? physical },
        };
      },
      call(args: pulumi.runtime.MockCallArgs) {
        if (args.token === "aws:index/getCallerIdentity:getCallerIdentity")
          return { accountId: "123456789012", arn: "arn:aws:iam::123456789012:user/test", userId: "test" };
        if (args.token === "aws:index/getRegion:getRegion")
          return { name: "us-east-1", id: "us-east-1", region: "us-east-1" };
        if (args.token === "aws:index/getPartition:getPartition")
          return { partition: "aws", dnsSuffix: "amazonaws.com" };
        return args.inputs;
      },
    },
    project,
    stack,
    false,
  );
  pulumi.runtime.setAllConfig(Object.fromEntries(Object.entries(config).map(([k, v]) => [k, v])));
}

/** Resolves a Pulumi output in a test. */
export function valueOf<T>(output: pulumi.Output<T> | pulumi.Input<T>): Promise<T> {
  return new Promise((resolve) => pulumi.output(output).apply((value) => resolve(value as T)));
}

/** The registered resources of one type (e.g. `aws:s3/bucketV2:BucketV2`). */
export function ofType(type: string): RegisteredResource[] {
  return registered.filter((resource) => resource.type === type);
}
