/**
 * Prepares the container's build context: bundles the CLI (and every dependency) into `dist/cli.js` with esbuild, so
 * the image needs no npm install and holds production code only. Called by the BatchIngestor component at deploy time
 * and by the container test; `npx tsx runtime/batch-ingestor/build.ts` does it by hand (e.g. before `docker compose`).
 */
import { join } from "node:path";
import { bundle } from "../shared/bundle";

/** The folder holding the Dockerfile, the compose file and (after bundling) `dist/`. */
export const IMAGE_DIR = __dirname;

/** The build context and Dockerfile of the BatchIngestor image. */
export interface ImageContext {
  /** The build context folder (the Dockerfile copies `dist/cli.js` from it). */
  context: string;
  /** The Dockerfile's path. */
  dockerfile: string;
  /** The bundled entry point inside the context. */
  bundle: string;
}

/**
 * Bundles the CLI into `<outDir>/cli.js` (default `runtime/batch-ingestor/dist`) and returns its path. With
 * `metafile`, esbuild's account of what went in is written there (for the test that no Pulumi code ships).
 */
export function bundleCli(outDir: string = join(IMAGE_DIR, "dist"), metafile?: string): string {
  return bundle({ entry: join(IMAGE_DIR, "cli.ts"), outfile: join(outDir, "cli.js"), metafile });
}

/** Bundles the CLI and returns the build context for `docker build` / `@pulumi/docker`'s Image. */
export function prepareImageContext(): ImageContext {
  const bundled = bundleCli();
  return { context: IMAGE_DIR, dockerfile: join(IMAGE_DIR, "Dockerfile"), bundle: bundled };
}

if (require.main === module) {
  const context = prepareImageContext();
  console.log(`bundled ${context.bundle}; build with: docker build -f ${context.dockerfile} ${context.context}`);
}
