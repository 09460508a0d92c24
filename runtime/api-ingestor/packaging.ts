/**
 * How the ApiIngestor is packaged for Lambda, imported by the Pulumi component at deploy time: the handler is bundled
 * with esbuild (our code and the AWS SDK v3 it pins), and the third-party libraries that are not in the Lambda runtime
 * go to a layer (`nodejs/node_modules/<pkg>`, which Lambda puts on `NODE_PATH` as `/opt/nodejs/node_modules`).
 * This module must stay light: it is loaded by `pulumi up`, not by the Lambda.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { bundle } from "../shared/bundle";

export { API_INGESTOR_ENV } from "./env";

/** The npm packages the Lambda layer holds (left out of the bundle). `ky` is ESM-only; Node 22 `require`s it. */
export const LAYER_PACKAGES: string[] = ["ky"];

/** The handler's entry point (exports `handler`). */
export const HANDLER_ENTRY = resolve(__dirname, "handler.ts");
/** The bundled file's name inside `outDir`; the Lambda handler setting is `index.handler`. */
export const HANDLER_FILE = "index.js";
/** The Lambda `handler` setting matching {@link bundleHandler}'s output. */
export const LAMBDA_HANDLER = "index.handler";

const REPO_NODE_MODULES = resolve(__dirname, "..", "..", "node_modules");

/** Bundles the handler into `outDir/index.js` (CommonJS, Node 22, {@link LAYER_PACKAGES} external); returns the file. */
export function bundleHandler(outDir: string): string {
  return bundle({ entry: HANDLER_ENTRY, outfile: join(outDir, HANDLER_FILE), external: [...LAYER_PACKAGES] });
}

/** The runtime dependencies of `pkg` and theirs, read from the installed package.json files. */
export function packageClosure(packages: string[], nodeModules: string = REPO_NODE_MODULES): string[] {
  const seen = new Set<string>();
  const visit = (name: string): void => {
    if (seen.has(name)) return;
    const manifest = join(nodeModules, name, "package.json");
    if (!existsSync(manifest))
      throw new Error(`layer package "${name}" is not installed in ${nodeModules}: run npm ci before deploying`);
    seen.add(name);
    const { dependencies = {} } = JSON.parse(readFileSync(manifest, "utf8")) as {
      dependencies?: Record<string, string>;
    };
    Object.keys(dependencies).forEach(visit);
  };
  packages.forEach(visit);
  return [...seen].sort();
}

/**
 * Lays out the layer in `outDir` (emptied first): `outDir/nodejs/node_modules/<pkg>` for {@link LAYER_PACKAGES} and
 * their dependencies, copied from the repository's node_modules. Returns `outDir`, ready to be zipped as the layer.
 */
export function buildLayer(outDir: string): string {
  rmSync(outDir, { recursive: true, force: true });
  const target = join(outDir, "nodejs", "node_modules");
  mkdirSync(target, { recursive: true });
  for (const name of packageClosure(LAYER_PACKAGES)) {
    cpSync(join(REPO_NODE_MODULES, name), join(target, name), { recursive: true, dereference: true });
  }
  return outDir;
}
