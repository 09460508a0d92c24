/**
 * Bundles a runtime entry point with esbuild, for the Lambda (at deploy time) and the container image alike, so the
 * deployed code is exactly the TypeScript the tests run.
 */
import { buildSync } from "esbuild";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/** What to bundle and where. */
export interface BundleOptions {
  /** The TypeScript entry point, or source text to bundle (resolved from `resolveDir`). */
  entry: string | { contents: string; resolveDir: string };
  /** The output file (CommonJS, Node 22). */
  outfile: string;
  /** Packages left out of the bundle (e.g. those a Lambda layer provides). */
  external?: string[];
  /**
   * Where to write esbuild's metafile (every source file that went into the bundle, and the imports left outside it),
   * for checks of what ships (test/runtime/noPulumiInRuntime.test.ts); keep it outside the folder that is shipped.
   */
  metafile?: string;
}

/** Bundles `entry` into one CommonJS file for Node 22 and returns its path. */
export function bundle(options: BundleOptions): string {
  mkdirSync(dirname(options.outfile), { recursive: true });
  const result = buildSync({
    ...(typeof options.entry === "string"
      ? { entryPoints: [options.entry] }
      : { stdin: { ...options.entry, loader: "js" as const } }),
    outfile: options.outfile,
    bundle: true,
    platform: "node",
    target: "node22",
    format: "cjs",
    sourcemap: false,
    legalComments: "none",
    external: options.external ?? [],
    logLevel: "warning",
    metafile: options.metafile !== undefined,
  });
  if (options.metafile !== undefined) {
    mkdirSync(dirname(options.metafile), { recursive: true });
    writeFileSync(options.metafile, JSON.stringify(result.metafile));
  }
  return options.outfile;
}
