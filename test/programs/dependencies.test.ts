/**
 * What `pulumi up` loads must come from `dependencies`: a deploy from `npm ci --omit=dev` has no devDependencies
 * (deploy finding 10: esbuild, which bundles the Lambda and the container at deploy time, was a devDependency). The
 * import graph is esbuild's own (its metafile), not a list of ours.
 */
import { expect } from "chai";
import { buildSync } from "esbuild";
import { readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { resolve } from "node:path";

const ROOT = resolve(__dirname, "../..");
const manifest = JSON.parse(readFileSync(resolve(ROOT, "package.json"), "utf8")) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

/** The npm packages an entry point imports, at any depth of our own files (packages themselves not followed). */
function importedPackages(entry: string): Set<string> {
  const result = buildSync({
    entryPoints: [resolve(ROOT, entry)],
    bundle: true,
    platform: "node",
    packages: "external",
    metafile: true,
    write: false,
    logLevel: "silent",
  });
  const packages = new Set<string>();
  for (const input of Object.values(result.metafile.inputs))
    for (const imported of input.imports) {
      if (!imported.external || imported.path.startsWith("node:") || builtinModules.includes(imported.path)) continue;
      const parts = imported.path.split("/");
      packages.add(imported.path.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!);
    }
  return packages;
}

describe("dependencies", () => {
  // The Pulumi program and what it runs at deploy time (bundling the Lambda and the image context).
  const deployed = importedPackages("programs/index.ts");

  it("the deploy path imports only packages listed in dependencies", () => {
    expect([...deployed]).to.include.members(["@pulumi/pulumi", "@pulumi/aws", "esbuild"]);
    const missing = [...deployed].filter((name) => !(name in manifest.dependencies));
    expect(missing, "move these to dependencies").to.deep.equal([]);
  });

  it("every dependency is used by the program, the runtime or a command", () => {
    const used = new Set(deployed);
    const entries = [
      "runtime/api-ingestor/handler.ts",
      "runtime/batch-ingestor/cli.ts",
      "runtime/api-ingestor/cli.ts",
      "runtime/local/demo.ts",
      "runtime/local/job.ts",
      "runtime/local/catalog.ts",
      "runtime/dashboard-preview/cli.ts",
      "runtime/tmdb-standin/cli.ts",
      "runtime/sample/cli.ts",
      "programs/preview/cli.ts",
      "programs/smoke/cli.ts",
      "policies/index.ts",
    ];
    for (const entry of entries) for (const name of importedPackages(entry)) used.add(name);
    // tsx is how Pulumi.yaml runs the TypeScript program (nodeargs: --import tsx), not an import.
    used.add("tsx");
    const unused = Object.keys(manifest.dependencies).filter((name) => !used.has(name));
    expect(unused, "remove these from dependencies (or move them to devDependencies)").to.deep.equal([]);
  });
});
