/**
 * The cinelake Pulumi package as other languages see it: the schema Pulumi's own inference (`ComponentProvider` of
 * `@pulumi/pulumi/provider/experimental`, what `pulumi package add` runs) derives from the components' TypeScript,
 * the aliases that keep existing stacks' URNs, the plugin's entry as the Node language host starts it, and the YAML
 * and Python examples checked against the schema.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as pulumi from "@pulumi/pulumi";
import * as rpc from "@pulumi/pulumi/proto/provider_grpc_pb";
import * as pb from "@pulumi/pulumi/proto/provider_pb";
import { ComponentProvider } from "@pulumi/pulumi/provider/experimental";
import { expect } from "chai";
import * as yaml from "js-yaml";
import ts from "typescript";
import { readLakeConfig, type ConfigSource } from "../../programs/config";
import { buildLake } from "../../programs/lake";
import { PACKAGE_COMPONENTS, PACKAGE_DIR } from "../../programs/provider";
import { readStackFile, stackFilePath } from "../../programs/preview/stack";
import type { InferenceOutcome } from "./fixtures/inferSchema";
import { registered, resetRegistered, settle, useMocks } from "../support/pulumiMocks";

/** The components' type tokens before the package (`cinelake:<module>:<Component>`): their aliases. */
const LEGACY_TOKENS: Record<string, string> = {
  DataLakeBucket: "cinelake:storage:DataLakeBucket",
  BatchIngestor: "cinelake:ingest:BatchIngestor",
  ApiIngestor: "cinelake:ingest:ApiIngestor",
  SparkJob: "cinelake:glue:SparkJob",
  StarSchema: "cinelake:catalog:StarSchema",
  Dashboard: "cinelake:dashboard:Dashboard",
  LakeAlerts: "cinelake:ops:LakeAlerts",
};
const COMPONENTS = Object.keys(LEGACY_TOKENS);
const token = (component: string) => `cinelake:index:${component}`;
const PACKAGE_JSON = JSON.parse(readFileSync(join(PACKAGE_DIR, "package.json"), "utf8")) as Record<string, unknown>;
const FIXTURES = join(__dirname, "fixtures");

/** One property of the schema (an input, an output or a field of an object type). */
interface Property {
  type?: string;
  $ref?: string;
  items?: Property;
  additionalProperties?: Property;
  description?: string;
}
/** A resource of the schema. */
interface Resource {
  isComponent?: boolean;
  description?: string;
  inputProperties: Record<string, Property>;
  requiredInputs: string[];
  properties: Record<string, Property>;
  required: string[];
}
/** An object or enum type of the schema. */
interface TypeSpec {
  type: string;
  properties?: Record<string, Property>;
  required?: string[];
  enum?: { name: string; value: string | number }[];
}
/** The parts of the package schema the tests read. */
interface Schema {
  name: string;
  version: string;
  resources: Record<string, Resource>;
  types: Record<string, TypeSpec>;
  dependencies?: { name: string; version: string }[];
}

/** Runs the inference in its own process with room for the TypeScript program (see fixtures/inferSchema.ts). */
function inferInChild(): InferenceOutcome {
  const dir = mkdtempSync(join(tmpdir(), "cinelake-schema-"));
  try {
    const out = join(dir, "outcome.json");
    execFileSync(
      process.execPath,
      ["--max-old-space-size=6144", "--import", "tsx", join(FIXTURES, "inferSchema.ts"), out, PACKAGE_DIR],
      { cwd: PACKAGE_DIR, stdio: ["ignore", "ignore", "pipe"], timeout: 540_000 },
    );
    return JSON.parse(readFileSync(out, "utf8")) as InferenceOutcome;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every problem of one property: no type, a `$ref` into nothing, no description (recursing into object types). */
function propertyProblems(schema: Schema, where: string, property: Property, seen = new Set<string>()): string[] {
  const problems: string[] = [];
  if (!property.description?.trim() && !where.endsWith("[]") && !where.endsWith("{}"))
    problems.push(`${where}: no description`);
  if (property.$ref !== undefined) {
    const local = /^#\/types\/(.+)$/.exec(property.$ref);
    if (local) {
      const name = decodeURIComponent(local[1]!);
      const type = schema.types[name];
      if (!type) problems.push(`${where}: $ref ${property.$ref} is not in the schema's types`);
      else if (!seen.has(name)) {
        seen.add(name);
        if (type.type === "object") {
          if (Object.keys(type.properties ?? {}).length === 0) problems.push(`${where}: ${name} has no properties`);
          for (const [field, inner] of Object.entries(type.properties ?? {}))
            problems.push(...propertyProblems(schema, `${name}.${field}`, inner, seen));
        } else if (!type.enum?.length) problems.push(`${where}: ${name} is neither an object nor an enum`);
      }
    } else if (/^pulumi\.json#\/(Any|Archive|Asset)$/.test(property.$ref)) {
      // Pulumi's built-in types.
    } else {
      const external = /^\/([^/]+)\/v([^/]+)\/schema\.json#\/resources\/.+$/.exec(property.$ref);
      const dependency = external && schema.dependencies?.find((dep) => dep.name === external[1]);
      if (!dependency || dependency.version !== external![2])
        problems.push(`${where}: $ref ${property.$ref} names no dependency of the schema`);
    }
  } else if (property.type === "array") {
    if (!property.items) problems.push(`${where}: array without items`);
    else problems.push(...propertyProblems(schema, `${where}[]`, property.items, seen));
  } else if (property.type === "object") {
    if (!property.additionalProperties) problems.push(`${where}: object without properties or value type`);
    else problems.push(...propertyProblems(schema, `${where}{}`, property.additionalProperties, seen));
  } else if (!["string", "number", "integer", "boolean"].includes(property.type ?? "")) {
    problems.push(`${where}: no type`);
  }
  return problems;
}

/** The fields of a TypeScript interface and the interfaces it extends, each with whether it is required. */
function interfaceFields(files: ts.SourceFile[], name: string): Map<string, boolean> {
  const declaration = files
    .flatMap((file) => file.statements)
    .find((node): node is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(node) && node.name.text === name);
  if (!declaration) throw new Error(`interface ${name} not found in components/`);
  const fields = new Map<string, boolean>();
  for (const clause of declaration.heritageClauses ?? [])
    for (const base of clause.types)
      for (const [field, required] of interfaceFields(files, base.expression.getText())) fields.set(field, required);
  for (const member of declaration.members)
    if (ts.isPropertySignature(member) && member.name) fields.set(member.name.getText(), !member.questionToken);
  return fields;
}

/**
 * What each component's TypeScript args require, read from the source by syntax alone (independent of the
 * inference): the class's constructor's `args` type, and its interface's non-optional fields.
 */
function requiredArgsFromSource(): Record<string, string[]> {
  const dir = join(PACKAGE_DIR, "components");
  const files = readdirSync(dir)
    .filter((file) => file.endsWith(".ts"))
    .map((file) => ts.createSourceFile(file, readFileSync(join(dir, file), "utf8"), ts.ScriptTarget.Latest, true));
  const result: Record<string, string[]> = {};
  for (const component of COMPONENTS) {
    const declaration = files
      .flatMap((file) => file.statements)
      .find((node): node is ts.ClassDeclaration => ts.isClassDeclaration(node) && node.name?.text === component);
    const constructor = declaration?.members.find(ts.isConstructorDeclaration);
    const args = constructor?.parameters.find((parameter) => parameter.name.getText() === "args");
    if (!args?.type) throw new Error(`${component}: no constructor with an 'args' parameter`);
    const fields = interfaceFields(files, args.type.getText());
    result[component] = [...fields].filter(([, required]) => required).map(([field]) => field);
  }
  return result;
}

/** The schema's type of a property, `$ref`s resolved to the type's name (for the specific expectations below). */
function typeOf(schema: Schema, property: Property | undefined): string {
  if (!property) return "missing";
  if (property.$ref) return property.$ref.replace(/^#\/types\/cinelake:index:/, "");
  if (property.type === "array") return `${typeOf(schema, property.items)}[]`;
  if (property.type === "object") return `Record<${typeOf(schema, property.additionalProperties)}>`;
  return property.type ?? "none";
}

/** Whether a value an example program gives (YAML scalar, list, mapping, or a `${...}` reference) fits a property. */
function valueProblems(schema: Schema, where: string, property: Property, value: unknown): string[] {
  if (typeof value === "string" && /^\$\{[^}]+\}$/.test(value)) return []; // an output: typed by its resource
  if (property.$ref === "pulumi.json#/Any") return [];
  if (property.$ref === "pulumi.json#/Archive" || property.$ref === "pulumi.json#/Asset")
    return typeof value === "object" && value !== null ? [] : [`${where}: expects an asset or archive`];
  const local = property.$ref && /^#\/types\/(.+)$/.exec(property.$ref);
  if (local) {
    const type = schema.types[local[1]!];
    if (!type) return [`${where}: unknown type ${property.$ref}`];
    if (type.enum) {
      const values = type.enum.map((member) => member.value);
      return values.includes(value as string) ? [] : [`${where}: ${JSON.stringify(value)} is not one of ${values}`];
    }
    return objectProblems(schema, where, type.properties ?? {}, type.required ?? [], value);
  }
  switch (property.type) {
    case "string":
      return typeof value === "string" ? [] : [`${where}: expects a string`];
    case "number":
    case "integer":
      return typeof value === "number" ? [] : [`${where}: expects a number`];
    case "boolean":
      return typeof value === "boolean" ? [] : [`${where}: expects a boolean`];
    case "array":
      return Array.isArray(value)
        ? value.flatMap((item, i) => valueProblems(schema, `${where}[${i}]`, property.items!, item))
        : [`${where}: expects a list`];
    case "object":
      return typeof value === "object" && value !== null && !Array.isArray(value)
        ? Object.entries(value).flatMap(([k, v]) =>
            valueProblems(schema, `${where}.${k}`, property.additionalProperties!, v),
          )
        : [`${where}: expects a mapping`];
  }
  return [`${where}: no type in the schema`];
}

/** Whether a mapping gives only known properties, of fitting types, and every required one. */
function objectProblems(
  schema: Schema,
  where: string,
  properties: Record<string, Property>,
  required: string[],
  value: unknown,
): string[] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return [`${where}: expects a mapping`];
  const given = value as Record<string, unknown>;
  return [
    ...Object.entries(given).flatMap(([key, inner]) =>
      properties[key]
        ? valueProblems(schema, `${where}.${key}`, properties[key], inner)
        : [`${where}.${key}: not a property (known: ${Object.keys(properties).join(", ")})`],
    ),
    ...required.filter((key) => !(key in given)).map((key) => `${where}.${key}: required, not given`),
  ];
}

/** camelCase to the snake_case the Python SDK uses. */
const snake = (name: string) => name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);

/** A Python value kind, as fixtures/example_calls.py reports it. */
interface PyValue {
  kind: "str" | "num" | "bool" | "list" | "dict" | "expr";
  items?: PyValue[];
  entries?: Record<string, PyValue>;
}

/** Whether a Python keyword's value (its kind) fits a property; expressions (outputs, variables) fit any. */
function pyValueProblems(schema: Schema, where: string, property: Property, value: PyValue): string[] {
  if (value.kind === "expr" || property.$ref === "pulumi.json#/Any") return [];
  const local = property.$ref && /^#\/types\/(.+)$/.exec(property.$ref);
  if (local) {
    const type = schema.types[local[1]!];
    if (!type) return [`${where}: unknown type ${property.$ref}`];
    if (type.enum) return value.kind === "str" || value.kind === "num" ? [] : [`${where}: expects an enum value`];
    if (value.kind !== "dict") return [`${where}: expects a dict`];
    const bySnake = Object.fromEntries(Object.entries(type.properties ?? {}).map(([k, p]) => [snake(k), p]));
    return [
      ...Object.entries(value.entries ?? {}).flatMap(([key, inner]) =>
        bySnake[key] ? pyValueProblems(schema, `${where}.${key}`, bySnake[key], inner) : [`${where}.${key}: unknown`],
      ),
      ...(type.required ?? [])
        .filter((key) => !(snake(key) in (value.entries ?? {})))
        .map((key) => {
          return `${where}.${snake(key)}: required, not given`;
        }),
    ];
  }
  const expected: Record<string, PyValue["kind"]> = {
    string: "str",
    number: "num",
    integer: "num",
    boolean: "bool",
    array: "list",
    object: "dict",
  };
  if (expected[property.type ?? ""] !== value.kind) return [`${where}: a ${value.kind} where ${property.type} fits`];
  if (value.kind === "list")
    return (value.items ?? []).flatMap((item, i) => pyValueProblems(schema, `${where}[${i}]`, property.items!, item));
  return [];
}

describe("the cinelake Pulumi package (schema inferred by Pulumi)", function () {
  let outcome: InferenceOutcome;
  let schema: Schema;

  before(function () {
    // The inference type-checks the repository's whole tsconfig program: ~30-60 s.
    this.timeout(600_000);
    outcome = inferInChild();
    schema = (outcome.schema ?? { resources: {}, types: {} }) as unknown as Schema;
  });

  it("the inference accepts every component (else: each component's first rejected field)", function () {
    const rejected = Object.entries(outcome.perComponent ?? {})
      .filter(([, message]) => message !== null)
      .map(([component, message]) => `${component}: ${message}`);
    expect(outcome.error, ["the inference failed:", ...rejected].join("\n")).to.equal(undefined);
  });

  it("is named cinelake, at package.json's version, and serves the seven components and only them", function () {
    expect(schema.name).to.equal("cinelake");
    expect(schema.version).to.equal(PACKAGE_JSON.version);
    expect(PACKAGE_COMPONENTS.map((component) => component.name)).to.have.members(COMPONENTS);
    expect(Object.keys(schema.resources)).to.have.members(COMPONENTS.map(token));
  });

  for (const component of COMPONENTS) {
    describe(component, function () {
      const resource = () => schema.resources[token(component)]!;

      it(`is the component ${token(component)}, with a description`, function () {
        expect(resource(), `${token(component)} is not in the schema`).to.be.an("object");
        expect(resource().isComponent).to.equal(true);
        expect(resource().description ?? "", "the class's JSDoc").to.not.equal("");
      });

      it("gives every input and output a type and a description", function () {
        const problems = [
          ...Object.entries(resource().inputProperties).map(([name, p]) => ["input", name, p] as const),
          ...Object.entries(resource().properties).map(([name, p]) => ["output", name, p] as const),
        ].flatMap(([kind, name, property]) => propertyProblems(schema, `${kind} ${name}`, property));
        expect(Object.keys(resource().inputProperties)).to.have.length.greaterThan(0);
        expect(Object.keys(resource().properties)).to.have.length.greaterThan(0);
        expect(problems).to.deep.equal([]);
      });

      it("requires exactly the inputs its TypeScript args require", function () {
        const required = requiredArgsFromSource()[component]!;
        expect([...resource().requiredInputs].sort()).to.deep.equal([...required].sort());
      });

      it("takes the common arguments stackName, namePrefix and tags", function () {
        const inputs = resource().inputProperties;
        expect(typeOf(schema, inputs.stackName)).to.equal("string");
        expect(typeOf(schema, inputs.namePrefix)).to.equal("string");
        expect(typeOf(schema, inputs.tags)).to.equal("Record<string>");
      });

      if (component !== "DataLakeBucket" && component !== "LakeAlerts")
        it("takes the bucket as a reference: an object with bucketName and bucketArn", function () {
          const bucket = resource().inputProperties.bucket;
          expect(resource().requiredInputs).to.include("bucket");
          const type = schema.types[bucket?.$ref?.replace("#/types/", "") ?? ""];
          expect(type?.type, "bucket's type").to.equal("object");
          expect(typeOf(schema, type!.properties!.bucketName)).to.equal("string");
          expect(typeOf(schema, type!.properties!.bucketArn)).to.equal("string");
          expect(type!.required).to.include.members(["bucketName", "bucketArn"]);
        });
    });
  }

  it("types the fields a reuser wires (one table per component)", function () {
    const expected: Record<string, { inputs?: Record<string, string>; outputs: Record<string, string> }> = {
      DataLakeBucket: {
        inputs: {
          kmsKeyArn: "string",
          versioning: "boolean",
          noncurrentVersionDays: "number",
          keepNoncurrentVersions: "boolean",
        },
        outputs: { bucketName: "string", bucketArn: "string", rawUri: "string", refinedUri: "string" },
      },
      BatchIngestor: { outputs: { repositoryUrl: "string", imageUri: "string", policyArn: "string" } },
      ApiIngestor: { inputs: { tmdbToken: "string", schedule: "string" }, outputs: { functionName: "string" } },
      SparkJob: {
        inputs: { job: "SparkJobDefinition", numberOfWorkers: "number", schedule: "string", startAfter: "GlueJobRef" },
        outputs: { jobName: "string", jobArn: "string", roleArn: "string" },
      },
      StarSchema: { outputs: { refinedDatabaseName: "string", workgroupName: "string" } },
      Dashboard: { inputs: { principalArn: "string", workgroupName: "string" }, outputs: { dashboardId: "string" } },
      LakeAlerts: { inputs: { glueJobNames: "string[]" }, outputs: { topicArn: "string" } },
    };
    const actual = Object.fromEntries(
      Object.entries(expected).map(([component, fields]) => {
        const resource = schema.resources[token(component)];
        const pick = (props: Record<string, Property> | undefined, names: Record<string, string> = {}) =>
          Object.fromEntries(Object.keys(names).map((name) => [name, typeOf(schema, props?.[name])]));
        return [
          component,
          {
            ...(fields.inputs ? { inputs: pick(resource?.inputProperties, fields.inputs) } : {}),
            outputs: pick(resource?.properties, fields.outputs),
          },
        ];
      }),
    );
    expect(actual).to.deep.equal(expected);
    // The job a SparkJob runs: any script, with what it reads and writes.
    const job = schema.types["cinelake:index:SparkJobDefinition"];
    expect(job?.required).to.include.members(["name", "script"]);
    // StarSchema takes any registry: its tables (and views) are inputs, not the movies lake's constants.
    const tables = schema.resources[token("StarSchema")]?.inputProperties.tables;
    expect(typeOf(schema, tables)).to.match(/\[\]$/);
    const table = schema.types[tables?.items?.$ref?.replace("#/types/", "") ?? ""];
    expect(Object.keys(table?.properties ?? {})).to.include.members(["name", "columns"]);
    // The Dashboard draws from the views it is given (the same registry type), not the movies lake's constants.
    const dashboard = schema.resources[token("Dashboard")];
    expect(typeOf(schema, dashboard?.inputProperties.views)).to.match(/\[\]$/);
    expect(dashboard?.requiredInputs).to.include.members(["tables", "views", "dashboard"]);
  });

  describe("what the inference rejects (a fixture package)", function () {
    const fixture = join(FIXTURES, "unionPackage");
    const infer = (component: string) =>
      new ComponentProvider({
        name: "fixture",
        // The analyzer looks components up by class name; the constructors are not run here.
        components: [{ [component]: class extends pulumi.ComponentResource {} }[component]!],
        dirname: fixture,
      }).getSchema();

    it("refuses a `number | false` field, naming the component and the field", async function () {
      this.timeout(120_000);
      let error: Error | undefined;
      await infer("Unsplit").catch((caught: Error) => (error = caught));
      expect(error?.message).to.match(/Union types are not supported for component 'Unsplit'/);
      expect(error?.message).to.contain("UnsplitArgs.noncurrentVersionDays");
    });

    it("accepts the same setting split in two (the form the components use)", async function () {
      this.timeout(120_000);
      const fixtureSchema = JSON.parse(await infer("Split")) as Schema;
      const inputs = fixtureSchema.resources["fixture:index:Split"]!.inputProperties;
      expect(typeOf(fixtureSchema, inputs.noncurrentVersionDays)).to.equal("number");
      expect(typeOf(fixtureSchema, inputs.keepNoncurrentVersions)).to.equal("boolean");
    });
  });

  describe("aliases from the former type tokens (the movies lake under the mocks)", function () {
    before(async function () {
      this.timeout(120_000);
      await useMocks({ stack: "alice" });
      resetRegistered();
      const dev = readStackFile(stackFilePath("dev")).values;
      const values: Record<string, string> = {
        ...dev,
        "cinelake:student": "alice",
        "cinelake:tmdbToken": "eyJhbGciOiJIUzI1NiJ9.schema-test-token",
        "cinelake:quicksightPrincipalArn": "arn:aws:quicksight:us-east-1:123456789012:user/default/alice",
        "cinelake:quicksightCheckSubscription": "false",
        "cinelake:alertEmail": "alerts@example.com",
      };
      const source: ConfigSource = { get: (key) => values[key], isSecret: (key) => key === "cinelake:tmdbToken" };
      const archive = () => new pulumi.asset.AssetArchive({ "index.js": new pulumi.asset.StringAsset("exports.h=1") });
      buildLake(
        readLakeConfig(source, "alice"),
        {},
        {
          batchImage: { context: "/prebuilt", dockerfile: "/prebuilt/Dockerfile" },
          apiIngestor: { code: archive(), layerCode: archive() },
        },
      );
      await settle();
    });

    for (const component of COMPONENTS)
      it(`${component} registers as ${token(component)} with an alias from ${LEGACY_TOKENS[component]}`, function () {
        const instances = registered.filter((resource) => resource.type === token(component));
        expect(instances, `no ${token(component)} registered`).to.have.length.greaterThan(0);
        expect(registered.filter((resource) => resource.type === LEGACY_TOKENS[component])).to.deep.equal([]);
        for (const instance of instances) {
          expect(instance.custom).to.equal(false);
          expect(instance.aliases, instance.name).to.deep.include({ type: LEGACY_TOKENS[component] });
        }
      });
  });

  describe("the plugin as the Node language host starts it", function () {
    it("PulumiPlugin.yaml names the nodejs runtime; package.json points the host at provider.cjs", function () {
      const plugin = yaml.load(readFileSync(join(PACKAGE_DIR, "PulumiPlugin.yaml"), "utf8")) as Record<string, unknown>;
      expect(plugin.runtime).to.equal("nodejs");
      expect(PACKAGE_JSON.name).to.equal("cinelake");
      expect(PACKAGE_JSON.main).to.equal("provider.cjs");
      // The inference starts from `exports` (before `main`): the module listing the components.
      expect(PACKAGE_JSON.exports).to.deep.equal({ ".": "./programs/provider.ts" });
    });

    it("docs/components.md gives the tag to pin (v + package.json's version) and every token with its alias", function () {
      const docs = readFileSync(join(PACKAGE_DIR, "docs", "components.md"), "utf8");
      expect(docs).to.contain(`pulumi package add github.com/<owner>/cinelake@v${String(PACKAGE_JSON.version)}`);
      for (const component of COMPONENTS)
        expect(docs).to.contain(`| \`${component}\` | \`${token(component)}\` | \`${LEGACY_TOKENS[component]}\` |`);
    });

    it("boots through @pulumi/pulumi's run-plugin (the host's command) and answers GetSchema over gRPC", async function () {
      this.timeout(600_000);
      // What the language host runs: `node <@pulumi/pulumi/cmd/run-plugin> <package dir> <engine args>`, from the
      // consumer's folder (no tsconfig.json there).
      const pulumiDir = dirname(require.resolve("@pulumi/pulumi/package.json"));
      const consumer = mkdtempSync(join(tmpdir(), "cinelake-consumer-"));
      const child = spawn(
        process.execPath,
        ["--max-old-space-size=6144", join(pulumiDir, "cmd", "run-plugin"), PACKAGE_DIR],
        { cwd: consumer, stdio: ["ignore", "pipe", "pipe"], detached: true },
      );
      let stderr = "";
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      try {
        const port = await new Promise<string>((resolve, reject) => {
          child.stdout.once("data", (chunk: Buffer) => resolve(chunk.toString().trim()));
          child.once("exit", (code) => reject(new Error(`the plugin ended (${code}) before listening: ${stderr}`)));
        });
        expect(port).to.match(/^\d+$/);
        const client = new rpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
        const served = await new Promise<string>((resolve, reject) =>
          client.getSchema(new pb.GetSchemaRequest(), (error, response) =>
            error ? reject(error) : resolve(response.getSchema()),
          ),
        ).catch((error: Error) => `error: ${error.message}`);
        client.close();
        expect(served, "the plugin's GetSchema").to.not.match(/^error:/);
        expect(Object.keys((JSON.parse(served) as Schema).resources)).to.have.members(COMPONENTS.map(token));
      } finally {
        // The plugin runs in its own process group; end it and anything it started.
        if (child.exitCode === null) process.kill(-child.pid!, "SIGKILL");
        rmSync(consumer, { recursive: true, force: true });
      }
    });
  });

  describe("the example programs against the schema", function () {
    const examples = join(PACKAGE_DIR, "examples");
    const tag = `v${String(PACKAGE_JSON.version)}`;

    it("examples/yaml/Pulumi.yaml: known components, known inputs of fitting types, every required one", function () {
      const program = yaml.load(readFileSync(join(examples, "yaml", "Pulumi.yaml"), "utf8")) as {
        runtime: string;
        packages: Record<string, string>;
        resources: Record<string, { type: string; properties?: Record<string, unknown> }>;
        outputs?: Record<string, string>;
      };
      expect(program.runtime).to.equal("yaml");
      expect(program.packages.cinelake).to.match(
        new RegExp(`^github\\.com/[^/]+/cinelake@${tag.replace(/\./g, "\\.")}$`),
      );
      const cinelake = Object.entries(program.resources).filter(([, r]) => r.type.startsWith("cinelake:"));
      expect(new Set(cinelake.map(([, r]) => r.type)).size, "components used").to.be.at.least(2);
      expect(cinelake.map(([, r]) => r.type)).to.include(token("DataLakeBucket"));
      const problems = cinelake.flatMap(([name, r]) => {
        const resource = schema.resources[r.type];
        if (!resource) return [`${name}: ${r.type} is not in the schema`];
        return objectProblems(schema, name, resource.inputProperties, resource.requiredInputs, r.properties ?? {});
      });
      // Every `${resource.output}` names a resource of the program and, for cinelake's, one of its outputs.
      const references = [...JSON.stringify(program).matchAll(/\$\{([\w-]+)\.(\w+)\}/g)];
      expect(references).to.have.length.greaterThan(0);
      for (const [text, resourceName, output] of references) {
        const target = program.resources[resourceName!];
        if (!target) problems.push(`${text}: no resource ${resourceName}`);
        else if (schema.resources[target.type] && !schema.resources[target.type]!.properties[output!])
          problems.push(`${text}: ${target.type} has no output ${output}`);
      }
      expect(problems).to.deep.equal([]);
    });

    it("examples/python: the generated SDK's classes, snake_case inputs of fitting kinds, every required one", function () {
      const main = join(examples, "python", "__main__.py");
      const parsed = JSON.parse(
        execFileSync(join(PACKAGE_DIR, ".venv", "bin", "python3"), [join(FIXTURES, "example_calls.py"), main], {
          encoding: "utf8",
        }),
      ) as {
        imports: string[];
        calls: { component: string; line: number; positional: number; keywords: Record<string, PyValue> }[];
        reads: { component: string; attribute: string; line: number }[];
      };
      expect(parsed.imports).to.have.length.greaterThan(0);
      const components = parsed.calls.filter((call) => /^[A-Z]/.test(call.component));
      expect(new Set(components.map((call) => call.component)).size, "components used").to.be.at.least(2);
      const problems = components.flatMap((call) => {
        const where = `line ${call.line} ${call.component}`;
        const resource = schema.resources[token(call.component)];
        if (!resource) return [`${where}: not in the schema`];
        const inputs = Object.fromEntries(Object.entries(resource.inputProperties).map(([k, p]) => [snake(k), p]));
        return [
          ...(call.positional === 1 ? [] : [`${where}: takes the resource name, then keywords`]),
          ...Object.entries(call.keywords).flatMap(([key, value]) =>
            inputs[key] ? pyValueProblems(schema, `${where} ${key}`, inputs[key], value) : [`${where} ${key}: unknown`],
          ),
          ...resource.requiredInputs
            .filter((key) => !(snake(key) in call.keywords))
            .map((key) => `${where} ${snake(key)}: required, not given`),
        ];
      });
      expect(problems).to.deep.equal([]);
      const config = yaml.load(readFileSync(join(examples, "python", "Pulumi.yaml"), "utf8")) as {
        packages: Record<string, string>;
      };
      expect(config.packages.cinelake).to.match(new RegExp(`@${tag.replace(/\./g, "\\.")}$`));
      // The attributes read from the components are outputs of theirs (snake_case).
      expect(parsed.reads).to.have.length.greaterThan(0);
      const unknown = parsed.reads.filter((read) => {
        const outputs = Object.keys(schema.resources[token(read.component)]?.properties ?? {}).map(snake);
        return !outputs.includes(read.attribute);
      });
      expect(unknown).to.deep.equal([]);
    });
  });
});
