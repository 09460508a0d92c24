// The layer rule's proof on what ships (docs/architecture.md): the Lambda's handler bundle and layer, and the
// container image's context, hold no @pulumi/* code. eslint's no-restricted-imports refuses a direct import in
// runtime/; this checks what esbuild actually put in the bundles, so an import through another module is caught too.
import { expect } from "chai";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { LAYER_PACKAGES, buildLayer, bundleHandler } from "../../runtime/api-ingestor/packaging";
import { bundleCli, prepareImageContext } from "../../runtime/batch-ingestor/build";
import { bundle } from "../../runtime/shared/bundle";

const REPO_ROOT = resolve(__dirname, "..", "..");

/** The part of esbuild's metafile read here. */
interface Metafile {
  inputs: Record<string, { imports: { path: string; external?: boolean }[] }>;
}

/** A module path that is Pulumi's: bundled from node_modules/@pulumi/, or left as an import of `@pulumi/...`. */
const PULUMI = /(^|\/)node_modules\/@pulumi\/|^@pulumi\//;

/** Every @pulumi module a bundle holds or imports, from its metafile: the files bundled, then the imports left out. */
function pulumiModules(metafilePath: string): string[] {
  const { inputs } = JSON.parse(readFileSync(metafilePath, "utf8")) as Metafile;
  const bundled = Object.keys(inputs).filter((path) => PULUMI.test(path));
  const external = Object.values(inputs)
    .flatMap((input) => input.imports)
    .filter((imported) => imported.external && PULUMI.test(imported.path))
    .map((imported) => imported.path);
  return [...new Set([...bundled, ...external])].sort();
}

/**
 * What a bundled file shows of Pulumi even without its metafile: esbuild (not minifying) writes each bundled
 * module's path as a comment, and an external module stays a `require("@pulumi/...")`.
 */
function pulumiTraces(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/\/\/ node_modules\/@pulumi\/[^\s]+|require\("@pulumi\/[^"]+"\)/g)].map((match) => match[0]);
}

/** Every file below `dir`, relative to it. */
function filesBelow(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((path) => statSync(join(dir, path)).isFile());
}

describe("the Lambda bundle, its layer and the container image hold no @pulumi/* code", function () {
  this.timeout(120_000);
  let work: string;

  before(() => {
    work = mkdtempSync(join(tmpdir(), "cinelake-no-pulumi-"));
  });

  after(() => rmSync(work, { recursive: true, force: true }));

  it("the check catches Pulumi in a bundle: bundled from node_modules, or left outside as an import", () => {
    const entry = {
      contents: 'import { Output } from "@pulumi/pulumi/output";\nimport "@pulumi/aws";\nconsole.log(Output);\n',
      resolveDir: REPO_ROOT,
    };
    const outfile = join(work, "control", "index.js");
    const metafile = join(work, "control.meta.json");
    bundle({ entry, outfile, metafile, external: ["@pulumi/aws"] });
    const found = pulumiModules(metafile);
    expect(found).to.include("node_modules/@pulumi/pulumi/output.js");
    expect(found).to.include("@pulumi/aws");
    const traces = pulumiTraces(outfile);
    expect(traces).to.include("// node_modules/@pulumi/pulumi/output.js");
    expect(traces).to.include('require("@pulumi/aws")');
  });

  it("the ApiIngestor's handler bundle and layer, as the component deploys them", () => {
    const handler = bundleHandler(join(work, "function"), join(work, "meta", "handler.json"));
    const layer = buildLayer(join(work, "layer"), join(work, "meta", "layer"));
    const handlerInputs = Object.keys(
      (JSON.parse(readFileSync(join(work, "meta", "handler.json"), "utf8")) as Metafile).inputs,
    );
    // The check looked at the real bundle: the handler and the SDK it pins are in it.
    expect(handlerInputs).to.include("runtime/api-ingestor/handler.ts");
    expect(handlerInputs.some((path) => path.includes("node_modules/@aws-sdk/client-s3/"))).to.equal(true);
    expect(pulumiModules(join(work, "meta", "handler.json"))).to.deep.equal([]);
    expect(pulumiTraces(handler)).to.deep.equal([]);
    for (const name of LAYER_PACKAGES) {
      expect(pulumiModules(join(work, "meta", "layer", `${name}.json`)), name).to.deep.equal([]);
      const manifest = JSON.parse(readFileSync(join(layer, "nodejs", "node_modules", name, "package.json"), "utf8"));
      expect(manifest.dependencies ?? {}, `${name}'s package.json`).to.deep.equal({});
    }
    // The layer holds only the listed packages, each one bundled file: nothing else for Node to resolve.
    expect(readdirSync(join(layer, "nodejs", "node_modules")).sort()).to.deep.equal([...LAYER_PACKAGES].sort());
    for (const file of filesBelow(layer).filter((path) => path.endsWith(".js")))
      expect(pulumiTraces(join(layer, file)), file).to.deep.equal([]);
  });

  it("the BatchIngestor image: its bundled CLI, and a context that installs nothing", () => {
    const metafile = join(work, "meta", "cli.json");
    bundleCli(join(work, "image"), metafile);
    const inputs = Object.keys((JSON.parse(readFileSync(metafile, "utf8")) as Metafile).inputs);
    expect(inputs).to.include("runtime/batch-ingestor/cli.ts");
    expect(pulumiModules(metafile)).to.deep.equal([]);

    // The context the component builds: what its Dockerfile copies in, and no way for npm to add anything.
    const context = prepareImageContext();
    const dockerfile = readFileSync(context.dockerfile, "utf8");
    const copied = [...dockerfile.matchAll(/^(?:COPY|ADD)\s+(?:--\S+\s+)*(\S+)/gm)].map((match) => match[1]);
    expect(copied).to.deep.equal(["dist/cli.js"]);
    expect(relative(context.context, context.bundle)).to.equal(join("dist", "cli.js"));
    expect(pulumiTraces(context.bundle)).to.deep.equal([]);
    expect(dockerfile).not.to.match(/^RUN\s+.*\b(npm|npx|yarn|pnpm)\b/m);
    expect(existsSync(join(context.context, "package.json")), "a package.json in the context").to.equal(false);
    expect(existsSync(join(context.context, "node_modules")), "node_modules in the context").to.equal(false);
  });
});
