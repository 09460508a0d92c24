/**
 * The convention every cinelake component follows, written once:
 * - its type token is `cinelake:index:<Component>` (what Pulumi's schema inference and other languages see), with an
 *   alias from the token it had before (`cinelake:<module>:<Component>`), so existing stacks see no replacement;
 * - it takes the same three common arguments ({@link LakeComponentArgs}): `stackName` (default: the Pulumi stack's
 *   name), `namePrefix` (default `cinelake`) and extra `tags`;
 * - it checks every argument before `super(...)`, so nothing is registered when one is wrong;
 * - every taggable child carries `project` (the name prefix) and `stack`, plus the caller's tags.
 */
import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_NAME_PREFIX, checkNamePrefix, checkStackName } from "./naming";

/** The Pulumi package the components belong to (the schema's name, and the first part of every type token). */
export const PACKAGE_NAME = "cinelake";

/** A component's type token: `cinelake:index:<Component>`, the only module the schema inference supports. */
export function componentType(component: string): string {
  return `${PACKAGE_NAME}:index:${component}`;
}

/**
 * The caller's options plus an alias from the component's former type token (e.g. `cinelake:storage:DataLakeBucket`):
 * Pulumi then moves an existing stack's component, and with it every child's URN, instead of replacing them.
 */
export function componentOptions(
  legacyType: string,
  opts: pulumi.ComponentResourceOptions = {},
): pulumi.ComponentResourceOptions {
  return { ...opts, aliases: [...(opts.aliases ?? []), { type: legacyType }] };
}

/** The arguments every component takes, beside its own. */
export interface LakeComponentArgs {
  /** The student or environment the stack belongs to (`alice`, `dev`); part of every physical name. Defaults to the Pulumi stack's name. */
  stackName?: string;
  /** The first part of every physical name; defaults to `cinelake`. A second lake in the same stack takes its own, e.g. `books`. */
  namePrefix?: string;
  /** Tags added to every taggable child, beside `project` (the name prefix) and `stack`. */
  tags?: Record<string, string>;
}

/** The common arguments, checked and with their defaults filled in. */
export interface LakeComponentSettings {
  /** The checked stack (student or environment) name. */
  stackName: string;
  /** The checked name prefix. */
  namePrefix: string;
  /** `project`, `stack` and the caller's tags, for every taggable child. */
  tags: Record<string, string>;
}

/** Checks the common arguments (throws a ConfigError naming the setting) and fills in their defaults. */
export function lakeComponentSettings(args: LakeComponentArgs): LakeComponentSettings {
  const stackName = checkStackName(args.stackName ?? pulumi.getStack(), "stackName");
  const namePrefix = checkNamePrefix(args.namePrefix ?? DEFAULT_NAME_PREFIX, "namePrefix");
  return { stackName, namePrefix, tags: { project: namePrefix, stack: stackName, ...(args.tags ?? {}) } };
}

/** The same tags in the `[{ key, value }]` form aws-native resources (QuickSight) take. */
export function nativeTags(tags: Record<string, string>): { key: string; value: string }[] {
  return Object.entries(tags).map(([key, value]) => ({ key, value }));
}
