import { execFileSync } from "node:child_process";
import { expect } from "chai";
import { prestoType } from "../../components/glueCatalog";
import { DATASETS, SYSTEM_PREFIXES, datasetPrefix, partitionPrefix } from "../../lake/paths";
import { ConfigError } from "../../components/naming";
import { SparkJob } from "../../components/sparkJob";
import { StarSchema, type StarSchemaArgs } from "../../components/starSchema";
import { lakeSparkJob } from "../../programs/lake";
import { TABLES, VIEWS, type TableDef } from "../../lake/tables";
import {
  ofType,
  oneOfType,
  plain,
  registered,
  resetRegistered,
  settle,
  useMocks,
  valueOf,
} from "../support/pulumiMocks";

const BUCKET = "cinelake-test-lake";
const bucket = { bucketName: BUCKET, bucketArn: `arn:aws:s3:::${BUCKET}` };
const TABLE = "aws:glue/catalogTable:CatalogTable";
const TRIGGER = "aws:glue/trigger:Trigger";

type Inputs = Record<string, unknown>;
const catalogTables = () => ofType(TABLE).map((r) => plain(r.inputs) as Inputs);
const byName = (name: string) => catalogTables().find((t) => t.name === name)!;
const storage = (table: Inputs) => table.storageDescriptor as Inputs;
const glueColumnsOf = (columns: readonly { name: string; type: string; description: string }[]) =>
  columns.map((c) => ({ name: c.name, type: c.type, comment: c.description }));

/** Decodes Athena's `/* Presto View: <base64> *\/` by hand, independently of the component's own decoder. */
function decodeView(text: string): { originalSql: string; catalog: string; schema: string; columns: unknown[] } {
  const match = /^\/\* Presto View: ([A-Za-z0-9+/=]+) \*\/$/.exec(text);
  expect(match, `"${text.slice(0, 40)}" is not Athena's view encoding`).to.not.equal(null);
  return JSON.parse(Buffer.from(match![1]!, "base64").toString("utf8"));
}

const dtTable = (name: string, extra: Partial<TableDef> = {}): TableDef => ({
  name,
  zone: "trusted",
  description: "A test table partitioned by day.",
  location: datasetPrefix(DATASETS.trustedTmdbMovies),
  columns: [{ name: "tmdb_id", type: "int", description: "Id." }],
  partitionKeys: [{ name: "dt", type: "string", description: "Day." }],
  primaryKey: ["tmdb_id", "dt"],
  foreignKeys: [],
  ...extra,
});

describe("StarSchema", () => {
  before(() => useMocks({ stack: "test" }));
  beforeEach(resetRegistered);

  describe("from the registry", () => {
    let schema: StarSchema;
    beforeEach(async () => {
      schema = new StarSchema("lake", { bucket, tables: [...TABLES], views: [...VIEWS] });
      await valueOf(schema.refinedDatabaseName);
      await settle();
    });

    it("creates one Glue database per zone, named after the stack", async () => {
      const names = ofType("aws:glue/catalogDatabase:CatalogDatabase").map((r) => r.inputs.name);
      expect(names).to.have.members(["cinelake_test_trusted", "cinelake_test_refined"]);
      expect(await valueOf(schema.trustedDatabaseName)).to.equal("cinelake_test_trusted");
      expect(await valueOf(schema.refinedDatabaseName)).to.equal("cinelake_test_refined");
    });

    it("catalogs every registry table as an external Parquet table with the registry's columns", () => {
      const external = catalogTables().filter((t) => t.tableType === "EXTERNAL_TABLE");
      expect(external.map((t) => t.name)).to.have.members(TABLES.map((t) => t.name));
      expect(schema.tableNames).to.deep.equal(TABLES.map((t) => t.name));
      for (const def of TABLES) {
        const table = byName(def.name);
        expect(table.name, def.name).to.equal(def.name.toLowerCase());
        expect(table.databaseName, def.name).to.equal(`cinelake_test_${def.zone}`);
        expect(table.description).to.equal(def.description);
        expect(storage(table).columns, def.name).to.deep.equal(glueColumnsOf(def.columns));
        expect(table.partitionKeys ?? [], def.name).to.deep.equal(glueColumnsOf(def.partitionKeys));
        expect(storage(table).location).to.equal(`s3://${BUCKET}/${def.location}`);
        expect(storage(table)).to.deep.include({
          inputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
          outputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
        });
        expect((storage(table).serDeInfo as Inputs).serializationLibrary).to.equal(
          "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
        );
        expect(table.parameters).to.deep.include({ EXTERNAL: "TRUE", classification: "parquet" });
      }
    });

    it("projects dt partitions by day, landing exactly on the lake's partition prefixes", () => {
      const partitioned = TABLES.filter((t) => t.partitionKeys.some((k) => k.name === "dt"));
      expect(partitioned.length, "the TMDB Trusted tables are partitioned by dt").to.be.greaterThan(0);
      for (const def of TABLES) {
        const parameters = byName(def.name).parameters as Record<string, string>;
        if (!partitioned.includes(def)) {
          expect(
            Object.keys(parameters).filter((k) => k.startsWith("projection.")),
            def.name,
          ).to.deep.equal([]);
          continue;
        }
        expect(parameters, def.name).to.deep.include({
          "projection.enabled": "true",
          "projection.dt.type": "date",
          "projection.dt.format": "yyyy-MM-dd",
          "projection.dt.range": "2020-01-01,NOW",
          "projection.dt.interval": "1",
          "projection.dt.interval.unit": "DAYS",
        });
        // Athena fills ${dt} in the template; the result must be where the job writes that day.
        const dataset = Object.values(DATASETS).find((d) => datasetPrefix(d) === def.location)!;
        const day = "2022-05-02";
        expect(parameters["storage.location.template"]!.replace("${dt}", day)).to.equal(
          `s3://${BUCKET}/${partitionPrefix(dataset, day)}`,
        );
      }
    });

    it("creates each analysis view in the Refined database, decoding back to the registry's SQL and columns", async () => {
      const withSql = VIEWS.filter((v) => v.sql.trim() !== "");
      const views = catalogTables().filter((t) => t.tableType === "VIRTUAL_VIEW");
      expect(views.map((v) => v.name)).to.have.members(withSql.map((v) => v.name));
      expect(schema.viewNames).to.have.members(withSql.map((v) => v.name));
      for (const def of withSql) {
        const view = byName(def.name);
        expect(view.databaseName).to.equal("cinelake_test_refined");
        expect(view.viewExpandedText).to.equal("/* Presto View */");
        expect(view.parameters).to.deep.include({ presto_view: "true" });
        expect(storage(view).columns, def.name).to.deep.equal(glueColumnsOf(def.columns));
        const decoded = decodeView(String(view.viewOriginalText));
        expect(decoded.originalSql, def.name).to.equal(def.sql);
        expect(decoded.catalog).to.equal("awsdatacatalog");
        expect(decoded.schema).to.equal(await valueOf(schema.refinedDatabaseName));
        expect(decoded.columns, def.name).to.deep.equal(
          def.columns.map((c) => ({ name: c.name, type: prestoType(c.type) })),
        );
      }
    });

    it("exposes each view's Glue table by view name (what the Dashboard's datasets wait for)", async () => {
      const withSql = VIEWS.filter((v) => v.sql.trim() !== "");
      expect(Object.keys(schema.viewTables)).to.have.members(withSql.map((v) => v.name));
      for (const def of withSql) {
        const table = schema.viewTables[def.name]!;
        expect(await valueOf(table.name)).to.equal(def.name);
        expect(await valueOf(table.databaseName)).to.equal("cinelake_test_refined");
        expect(await valueOf(table.tableType)).to.equal("VIRTUAL_VIEW");
      }
    });

    it("creates views whose SQL resolves against the cataloged Refined tables, unqualified, to the listed columns", () => {
      // sqlglot (Trino dialect) resolves every table and column of each view against what the Refined database holds.
      const refinedSchema = Object.fromEntries(
        catalogTables()
          .filter((t) => t.tableType === "EXTERNAL_TABLE" && t.databaseName === "cinelake_test_refined")
          .map((t) => [
            t.name,
            Object.fromEntries(
              [...(storage(t).columns as Inputs[]), ...((t.partitionKeys as Inputs[]) ?? [])].map((c) => [
                c.name,
                c.type,
              ]),
            ),
          ]),
      );
      const views = catalogTables()
        .filter((t) => t.tableType === "VIRTUAL_VIEW")
        .map((t) => ({ name: String(t.name), ...decodeView(String(t.viewOriginalText)) }));
      const script = [
        "import json, sys, sqlglot",
        "from sqlglot import exp",
        "from sqlglot.optimizer.qualify import qualify",
        "payload = json.load(sys.stdin)",
        "out = {}",
        "for view in payload['views']:",
        "    tree = sqlglot.parse_one(view['originalSql'], read='trino')",
        "    qualified = [t.sql() for t in tree.find_all(exp.Table) if t.db or t.catalog]",
        "    try:",
        "        names = qualify(tree, schema=payload['schema'], dialect='trino').named_selects",
        "        out[view['name']] = {'qualified': qualified, 'names': names}",
        "    except Exception as error:",
        "        out[view['name']] = {'qualified': qualified, 'error': str(error)}",
        "print(json.dumps(out))",
      ].join("\n");
      const result = JSON.parse(
        execFileSync("python3", ["-c", script], {
          input: JSON.stringify({ schema: refinedSchema, views }),
          encoding: "utf8",
        }),
      ) as Record<string, { qualified: string[]; names?: string[]; error?: string }>;
      for (const view of views) {
        const checked = result[view.name]!;
        expect(checked.error, view.name).to.equal(undefined);
        expect(checked.qualified, `${view.name} names tables with a database`).to.deep.equal([]);
        expect(checked.names, view.name).to.deep.equal((view.columns as { name: string }[]).map((c) => c.name));
      }
    });

    it("creates an Athena workgroup with encrypted results in the lake and its settings enforced", async () => {
      const workgroup = plain(oneOfType("aws:athena/workgroup:Workgroup").inputs) as Inputs;
      const configuration = workgroup.configuration as Inputs;
      expect(configuration.enforceWorkgroupConfiguration).to.equal(true);
      expect(configuration.resultConfiguration).to.deep.equal({
        outputLocation: `s3://${BUCKET}/${SYSTEM_PREFIXES.athenaResults}`,
        encryptionConfiguration: { encryptionOption: "SSE_S3" },
      });
      expect(await valueOf(schema.workgroupName)).to.equal(workgroup.name);
      expect(await valueOf(schema.athenaResultsLocation)).to.equal(`s3://${BUCKET}/${SYSTEM_PREFIXES.athenaResults}`);
      expect(ofType("aws:glue/workflow:Workflow")).to.have.length(0);
      expect(await valueOf(schema.workflowName)).to.equal(undefined);
    });
  });

  it("encrypts Athena results with the given KMS key", async () => {
    const key = "arn:aws:kms:us-east-1:123456789012:key/abc";
    new StarSchema("kms", { bucket, tables: [], athenaKmsKeyArn: key, bytesScannedCutoffPerQuery: 1e9 });
    await settle();
    const configuration = (plain(oneOfType("aws:athena/workgroup:Workgroup").inputs) as Inputs).configuration as Inputs;
    expect((configuration.resultConfiguration as Inputs).encryptionConfiguration).to.deep.equal({
      encryptionOption: "SSE_KMS",
      kmsKeyArn: key,
    });
    expect(configuration.bytesScannedCutoffPerQuery).to.equal(1e9);
  });

  it("encrypts Athena results with the lake bucket's KMS key when it has one", async () => {
    const key = "arn:aws:kms:us-east-1:123456789012:key/lake";
    new StarSchema("lake-kms", { bucket: { ...bucket, kmsKeyArn: key }, tables: [] });
    await settle();
    const configuration = (plain(oneOfType("aws:athena/workgroup:Workgroup").inputs) as Inputs).configuration as Inputs;
    expect((configuration.resultConfiguration as Inputs).encryptionConfiguration).to.deep.equal({
      encryptionOption: "SSE_KMS",
      kmsKeyArn: key,
    });
  });

  it("runs the Trusted jobs in parallel, then the Refined job once all succeeded, in one workflow", async () => {
    const csv = new SparkJob("wf-csv", { bucket, job: lakeSparkJob("trusted-csv", BUCKET) });
    const tmdb = new SparkJob("wf-tmdb", { bucket, job: lakeSparkJob("trusted-tmdb", BUCKET) });
    const refined = new SparkJob("wf-refined", { bucket, job: lakeSparkJob("refined", BUCKET) });
    const schema = new StarSchema("wf", {
      bucket,
      tables: [],
      pipeline: { trusted: [csv, tmdb], refined, schedule: "cron(0 7 * * ? *)" },
    });
    const workflowName = await valueOf(schema.workflowName);
    const names = {
      csv: await valueOf(csv.jobName),
      tmdb: await valueOf(tmdb.jobName),
      refined: await valueOf(refined.jobName),
    };
    await settle();
    expect(oneOfType("aws:glue/workflow:Workflow").inputs.name).to.equal(workflowName);
    const triggers = ofType(TRIGGER).map((r) => plain(r.inputs) as Inputs);
    expect(triggers).to.have.length(2);
    for (const trigger of triggers) expect(trigger.workflowName).to.equal(workflowName);

    const start = triggers.find((t) => t.type === "SCHEDULED")!;
    expect(start.schedule).to.equal("cron(0 7 * * ? *)");
    expect(start.actions).to.deep.equal([{ jobName: names.csv }, { jobName: names.tmdb }]);

    const after = triggers.find((t) => t.type === "CONDITIONAL")!;
    expect(after.predicate).to.deep.equal({
      logical: "AND",
      conditions: [
        { jobName: names.csv, state: "SUCCEEDED", logicalOperator: "EQUALS" },
        { jobName: names.tmdb, state: "SUCCEEDED", logicalOperator: "EQUALS" },
      ],
    });
    expect(after.actions).to.deep.equal([{ jobName: names.refined }]);

    // Walk the triggers from the start: each job's step is one more than the latest job its trigger waits for.
    const step = new Map<string, number>();
    for (const action of start.actions as { jobName: string }[]) step.set(action.jobName, 1);
    const waitsFor = (after.predicate as { conditions: { jobName: string }[] }).conditions.map((c) => c.jobName);
    const afterStep = Math.max(...waitsFor.map((job) => step.get(job) ?? Infinity)) + 1;
    for (const action of after.actions as { jobName: string }[]) step.set(action.jobName, afterStep);
    expect([step.get(names.csv), step.get(names.tmdb), step.get(names.refined)]).to.deep.equal([1, 1, 2]);
  });

  it("starts the workflow on demand when no schedule is given", async () => {
    new StarSchema("od", { bucket, tables: [], pipeline: { trusted: [{ jobName: "a" }], refined: { jobName: "b" } } });
    await settle();
    const start = ofType(TRIGGER)
      .map((r) => plain(r.inputs) as Inputs)
      .find((t) => t.type !== "CONDITIONAL")!;
    expect(start.type).to.equal("ON_DEMAND");
    expect(start).to.not.have.property("schedule");
    expect(start).to.not.have.property("startOnCreation");
  });

  it("creates only the views that have SQL, and catalogs tables given instead of the registry", async () => {
    const view = { name: "v_ready", description: "Ready.", sql: "SELECT 1 AS one", columns: [] };
    const schema = new StarSchema("subset", {
      bucket,
      tables: [dtTable("t_days")],
      views: [
        { ...view, columns: [{ name: "one", type: "int", description: "One." }] },
        { ...view, name: "v_later", sql: " " },
      ],
    });
    await valueOf(schema.refinedDatabaseName);
    await settle();
    expect(catalogTables().map((t) => t.name)).to.have.members(["t_days", "v_ready"]);
    const decoded = decodeView(String(byName("v_ready").viewOriginalText));
    expect(decoded).to.deep.equal({
      originalSql: "SELECT 1 AS one",
      catalog: "awsdatacatalog",
      schema: "cinelake_test_refined",
      columns: [{ name: "one", type: "integer" }],
    });
  });

  it("takes projection settings for other partition keys from partitionProjection", async () => {
    const table = dtTable("t_kinds", {
      location: "Refined/t_kinds/",
      partitionKeys: [{ name: "kind", type: "string", description: "Kind." }],
    });
    new StarSchema("proj", {
      bucket,
      tables: [table],
      views: [],
      partitionProjection: { t_kinds: { "projection.kind.type": "enum", "projection.kind.values": "movie,series" } },
    });
    await settle();
    expect(byName("t_kinds").parameters).to.deep.include({
      "projection.enabled": "true",
      "projection.kind.type": "enum",
      "projection.kind.values": "movie,series",
      "storage.location.template": `s3://${BUCKET}/Refined/t_kinds/kind=\${kind}/`,
    });
  });

  it("builds every physical name from the name prefix, and tags every child", async () => {
    const schema = new StarSchema("books", {
      bucket,
      tables: [dtTable("t_days")],
      namePrefix: "books",
      stackName: "alice",
      tags: { owner: "library" },
      pipeline: { trusted: [{ jobName: "a" }], refined: { jobName: "b" } },
    });
    expect(await valueOf(schema.trustedDatabaseName)).to.equal("books_alice_trusted");
    expect(await valueOf(schema.refinedDatabaseName)).to.equal("books_alice_refined");
    expect(await valueOf(schema.workgroupName)).to.equal("books-alice");
    expect(await valueOf(schema.workflowName)).to.equal("books-alice-pipeline");
    await settle();
    expect(ofType(TRIGGER).map((r) => r.inputs.name)).to.have.members([
      "books-alice-pipeline-start",
      "books-alice-pipeline-refined",
    ]);
    expect(byName("t_days").databaseName).to.equal("books_alice_trusted");
    expect(oneOfType("cinelake:index:StarSchema").name).to.equal("books");
    for (const child of registered.filter((r) => r.custom && "tags" in r.inputs))
      expect(plain(child.inputs.tags), child.type).to.deep.equal({
        project: "books",
        stack: "alice",
        owner: "library",
      });
    expect(registered.filter((r) => r.custom && !("tags" in r.inputs)).map((r) => r.type)).to.have.members([TABLE]);
  });

  describe("refuses bad input before AWS is called, naming the setting", () => {
    const base: StarSchemaArgs = { bucket, tables: [dtTable("t_ok")], views: [] };
    const cases: [string, Partial<StarSchemaArgs>, string | RegExp][] = [
      ["an uppercase table name", { tables: [dtTable("T_Upper")] }, "table T_Upper"],
      ["a table defined twice", { tables: [dtTable("t_a"), dtTable("t_a")] }, "table t_a"],
      [
        "an unknown Hive type",
        { tables: [dtTable("t_b", { columns: [{ name: "x", type: "strng", description: "x" }] })] },
        "column t_b.x",
      ],
      [
        "a comment Glue would refuse",
        { tables: [dtTable("t_c", { columns: [{ name: "x", type: "int", description: "d".repeat(256) }] })] },
        "column t_c.x",
      ],
      [
        "a partition key that cannot be projected",
        { tables: [dtTable("t_d", { partitionKeys: [{ name: "kind", type: "string", description: "k" }] })] },
        "partitionProjection.t_d",
      ],
      ["projection settings for no table", { partitionProjection: { nope: {} } }, "partitionProjection.nope"],
      ["a bad projection start", { projectionStartDate: "2020-13-01" }, /2020-13-01/],
      ["an empty pipeline", { pipeline: { trusted: [], refined: { jobName: "r" } } }, "pipeline.trusted"],
      [
        "a bad pipeline schedule",
        { pipeline: { trusted: [{ jobName: "t" }], refined: { jobName: "r" }, schedule: "daily" } },
        "pipeline.schedule",
      ],
      ["a scan limit below Athena's minimum", { bytesScannedCutoffPerQuery: 1000 }, "bytesScannedCutoffPerQuery"],
      ["no tables", { tables: undefined as never }, "tables"],
      ["a zone that is not one", { tables: [dtTable("t_z", { zone: "gold" as never })] }, "table t_z"],
      ["a name prefix with capitals", { namePrefix: "Books" }, "namePrefix"],
      ["a bad stack name", { stackName: "a" }, "stackName"],
      [
        "a view without columns' types",
        {
          views: [
            {
              name: "v_x",
              description: "x",
              sql: "SELECT 1",
              columns: [{ name: "a", type: "number", description: "a" }],
            },
          ],
        },
        "column v_x.a",
      ],
    ];
    for (const [label, args, expected] of cases)
      it(label, () => {
        const build = () => new StarSchema(`bad-${label}`, { ...base, ...args });
        if (typeof expected === "string") expect(build).to.throw(ConfigError).with.property("setting", expected);
        else expect(build).to.throw(expected);
        // Checked before super(): nothing at all was registered, not even the component.
        expect(registered).to.have.length(0);
      });
  });
});
