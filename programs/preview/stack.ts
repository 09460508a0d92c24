/**
 * Runs the stack program under the mocks with a stack's config, exactly as `pulumi up` would run it, and returns what
 * it registers. Used by `npm run preview`, the policy pack's tests and the AWS-side validators (cfn-lint, IAM lint,
 * the request evaluator), so they all look at the same resources.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { load } from "js-yaml";
import { readLakeConfig, type ConfigSource, type LakeConfig } from "../config";
import { buildLake, type Lake, type PrebuiltCode } from "../lake";
import { registered, resetRegistered, settle, useMocks, type RegisteredResource } from "./mocks";

/** The project folder (where the `Pulumi.<stack>.yaml` files are). */
export const PROJECT_DIR = resolve(__dirname, "../..");

/** A stack's config as Pulumi reads it: plain values, and the keys stored as secrets (`secure:` in the file). */
export interface StackConfig {
  /** Every key with its value; a secret's value is a placeholder (its ciphertext is never read). */
  values: Record<string, string>;
  /** The keys stored as secrets. */
  secretKeys: string[];
}

/** Placeholder for a secret the preview cannot decrypt; it is handled as a secret like the real value. */
export const SECRET_PLACEHOLDER = "preview-placeholder-secret";

/** The path of a stack's config file. */
export function stackFilePath(stack: string, dir: string = PROJECT_DIR): string {
  return join(dir, `Pulumi.${stack}.yaml`);
}

/** Reads `Pulumi.<stack>.yaml`: `config:` values as strings, `secure:` values as secret placeholders. */
export function readStackFile(path: string): StackConfig {
  const document = (load(readFileSync(path, "utf8")) ?? {}) as { config?: Record<string, unknown> };
  const values: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [key, value] of Object.entries(document.config ?? {})) {
    if (typeof value === "object" && value !== null && "secure" in value) {
      values[key] = SECRET_PLACEHOLDER;
      secretKeys.push(key);
    } else if (typeof value === "object" && value !== null) {
      values[key] = JSON.stringify(value);
    } else {
      values[key] = String(value);
    }
  }
  return { values, secretKeys };
}

/**
 * The config of a stack: its file when there is one, otherwise the dev stack's with the student changed (what a
 * student gets by copying Pulumi.dev.yaml, as the README says).
 */
export function stackConfig(stack: string, dir: string = PROJECT_DIR): { config: StackConfig; fromFile: string } {
  const own = stackFilePath(stack, dir);
  if (existsSync(own)) return { config: readStackFile(own), fromFile: own };
  const dev = readStackFile(stackFilePath("dev", dir));
  return {
    config: { values: { ...dev.values, "cinelake:student": stack }, secretKeys: dev.secretKeys },
    fromFile: stackFilePath("dev", dir),
  };
}

/** What the program registered for a stack. */
export interface StackPreview {
  /** The stack's name. */
  stack: string;
  /** The checked config the program built the lake from. */
  config: LakeConfig;
  /** The lake the program built (its outputs resolve under the mocks). */
  lake: Lake;
  /** Every resource registered, in registration order, with its options. */
  resources: RegisteredResource[];
  /** Settings the preview filled in because the stack does not have them yet (e.g. the secret token). */
  assumed: string[];
}

/**
 * Runs the program for a stack under the mocks. Missing secrets get a placeholder (listed in `assumed`), so a student
 * can preview before creating the token; every other config problem fails as `pulumi up` would (StackConfigError).
 */
export async function previewStack(
  stack: string,
  options: { config?: StackConfig; prebuilt?: PrebuiltCode } = {},
): Promise<StackPreview> {
  const base = options.config ?? stackConfig(stack).config;
  const values = { ...base.values };
  const secretKeys = new Set(base.secretKeys);
  const assumed: string[] = [];
  if (values["cinelake:tmdbToken"] === undefined) {
    values["cinelake:tmdbToken"] = SECRET_PLACEHOLDER;
    secretKeys.add("cinelake:tmdbToken");
    assumed.push("cinelake:tmdbToken (set it with `pulumi config set --secret cinelake:tmdbToken <token>`)");
  }
  resetRegistered();
  await useMocks({ stack, config: values, secretKeys: [...secretKeys] });
  const source: ConfigSource = { get: (key) => values[key], isSecret: (key) => secretKeys.has(key) };
  const config = readLakeConfig(source, stack);
  const lake = buildLake(config, {}, options.prebuilt ?? {});
  await settle();
  return { stack, config, lake, resources: [...registered], assumed };
}
