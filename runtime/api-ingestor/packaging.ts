/**
 * How the ApiIngestor is packaged for Lambda, imported by the Pulumi component at deploy time: the handler is bundled
 * with esbuild (our code and the AWS SDK v3 it pins), and the third-party libraries that are not in the Lambda runtime
 * go to a layer (`nodejs/node_modules/<pkg>`, which Lambda puts on `NODE_PATH` as `/opt/nodejs/node_modules`).
 * The layer holds each library as one CommonJS file built by esbuild, because the handler is CommonJS and `ky` is
 * ESM-only: `require`-ing an ES module works only where the runtime's Node has `require(esm)`, which a deploy should
 * not depend on. This module must stay light: it is loaded by `pulumi up`, not by the Lambda.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { bundle } from "../shared/bundle";

export { API_INGESTOR_ENV } from "./env";

/** The npm packages the Lambda layer holds (left out of the handler's bundle). */
export const LAYER_PACKAGES: string[] = ["ky"];

/** The handler's entry point (exports `handler`). */
export const HANDLER_ENTRY = resolve(__dirname, "handler.ts");
/** The bundled file's name inside `outDir`; the Lambda handler setting is `index.handler`. */
export const HANDLER_FILE = "index.js";
/** The Lambda `handler` setting matching {@link bundleHandler}'s output. */
export const LAMBDA_HANDLER = "index.handler";

const REPO_ROOT = resolve(__dirname, "..", "..");
const REPO_NODE_MODULES = join(REPO_ROOT, "node_modules");

/**
 * Bundles the handler into `outDir/index.js` (CommonJS, {@link LAYER_PACKAGES} external); returns the file. With
 * `metafile`, esbuild's account of what went in is written there (for the test that no Pulumi code ships).
 */
export function bundleHandler(outDir: string, metafile?: string): string {
  return bundle({ entry: HANDLER_ENTRY, outfile: join(outDir, HANDLER_FILE), external: [...LAYER_PACKAGES], metafile });
}

/**
 * Lays out the layer in `outDir` (emptied first): for each of {@link LAYER_PACKAGES}, `nodejs/node_modules/<pkg>/`
 * with one CommonJS `index.js` (the package and its dependencies, bundled), a `package.json` naming it and the
 * package's licence file. Returns `outDir`, ready to be zipped as the layer. With `metafileDir`, esbuild's account of
 * each package's bundle is written there as `<package>.json` (for the test that no Pulumi code ships).
 */
export function buildLayer(outDir: string, metafileDir?: string): string {
  rmSync(outDir, { recursive: true, force: true });
  for (const name of LAYER_PACKAGES) {
    const installed = join(REPO_NODE_MODULES, name, "package.json");
    if (!existsSync(installed))
      throw new Error(`layer package "${name}" is not installed in ${REPO_NODE_MODULES}: run npm ci before deploying`);
    const manifest = JSON.parse(readFileSync(installed, "utf8")) as { version: string; license?: string };
    const target = join(outDir, "nodejs", "node_modules", name);
    mkdirSync(target, { recursive: true });
    // Re-exporting the default and the named exports keeps `import ky, { HTTPError } from "ky"` working through
    // esbuild's CommonJS interop in the handler's bundle.
    bundle({
      entry: { contents: `export * from "${name}";\nexport { default } from "${name}";\n`, resolveDir: REPO_ROOT },
      outfile: join(target, "index.js"),
      ...(metafileDir !== undefined ? { metafile: join(metafileDir, `${name}.json`) } : {}),
    });
    writeFileSync(
      join(target, "package.json"),
      JSON.stringify({ name, version: manifest.version, license: manifest.license, main: "index.js" }, null, 2) + "\n",
    );
    for (const licence of ["license", "LICENSE", "license.md", "LICENSE.md"])
      if (existsSync(join(REPO_NODE_MODULES, name, licence)))
        copyFileSync(join(REPO_NODE_MODULES, name, licence), join(target, licence));
  }
  return outDir;
}
