/**
 * Reuse in another lake, proven: a tiny books lake (test/support/booksLake.ts) built from the same components as the
 * movies lake — DataLakeBucket, SparkJob, StarSchema, Dashboard — side by side with it in one stack, under the mocks. Every
 * physical name of both lakes is unique, every URN is unique, the books lake's names all carry its own prefix, and
 * the movies lake's names are exactly what they are without it.
 */
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { readLakeConfig, type ConfigSource } from "../../programs/config";
import { buildLake } from "../../programs/lake";
import { readStackFile, stackFilePath } from "../../programs/preview/stack";
import { decodePrestoView } from "../../components/glueCatalog";
import {
  AUTHORS_TABLE,
  BOOKS_PREFIX,
  PROLIFIC_AUTHORS_VIEW,
  buildBooksLake,
  type BooksLake,
} from "../support/booksLake";
import {
  parsePolicy,
  plain,
  registered,
  resetRegistered,
  settle,
  useMocks,
  valueOf,
  type RegisteredResource,
} from "../support/pulumiMocks";

const STACK = "dev";
const BOOKS_PRINCIPAL = `arn:aws:quicksight:us-east-1:123456789012:user/default/${STACK}-books`;
const archive = () => new pulumi.asset.AssetArchive({ "index.js": new pulumi.asset.StringAsset("exports.handler=1") });

/** The dev stack's configuration with the secrets and the QuickSight principal a full build needs. */
function devConfig() {
  const values: Record<string, string> = {
    ...readStackFile(stackFilePath(STACK)).values,
    "cinelake:student": STACK,
    "cinelake:tmdbToken": "eyJhbGciOiJIUzI1NiJ9.second-lake-token",
    "cinelake:quicksightPrincipalArn": `arn:aws:quicksight:us-east-1:123456789012:user/default/${STACK}`,
    "cinelake:quicksightCheckSubscription": "false",
  };
  const source: ConfigSource = { get: (key) => values[key], isSecret: (key) => key === "cinelake:tmdbToken" };
  return readLakeConfig(source, STACK);
}

/** Builds the movies lake (code stand-ins instead of bundling) and, when asked, the books lake beside it. */
async function build(withBooks: boolean): Promise<{ resources: RegisteredResource[]; books?: BooksLake }> {
  resetRegistered();
  const movies = buildLake(
    devConfig(),
    {},
    {
      batchImage: { context: "/prebuilt", dockerfile: "/prebuilt/Dockerfile" },
      apiIngestor: { code: archive(), layerCode: archive() },
    },
  );
  const books = withBooks ? buildBooksLake(STACK, BOOKS_PRINCIPAL) : undefined;
  await valueOf(movies.outputs.bucket);
  if (books) await valueOf(books.dashboard.dashboardArn);
  await settle();
  return { resources: [...registered], books };
}

// The inputs that name a resource in its AWS namespace (its type); settings of another resource (a bucket's
// versioning, a policy attachment) name that resource, not one of their own, so only a bucket's `bucket` counts.
const NAME_INPUTS = ["name", "functionName", "layerName", "dashboardId", "analysisId", "dataSetId", "dataSourceId"];

/** The physical names a resource takes in the account, each as `<type> <name>` (empty for settings and components). */
function physicalNames(resource: RegisteredResource): string[] {
  if (!resource.custom) return [];
  // A QuickSight asset is identified by its id; its `name` is only what the console shows, and may repeat.
  if (resource.type.startsWith("aws-native:quicksight:"))
    return NAME_INPUTS.filter((key) => key.endsWith("Id") && typeof resource.inputs[key] === "string").map(
      (key) => `${resource.type} ${String(resource.inputs[key])}`,
    );
  const inputs = plain(resource.inputs) as Record<string, unknown>;
  const text = (key: string) => (typeof inputs[key] === "string" ? (inputs[key] as string) : undefined);
  const scoped = (() => {
    switch (resource.type) {
      case "aws:s3/bucket:Bucket":
        return [text("bucket")];
      case "aws:s3/bucketObjectv2:BucketObjectv2":
        return [`s3://${text("bucket")}/${text("key")}`];
      case "aws:glue/catalogTable:CatalogTable":
        return [`${text("databaseName")}.${text("name")}`];
      case "aws:iam/rolePolicy:RolePolicy":
        return text("name") === undefined ? [] : [`${text("role")}/${text("name")}`];
    }
    return NAME_INPUTS.map(text);
  })();
  return scoped.filter((name): name is string => name !== undefined).map((name) => `${resource.type} ${name}`);
}

const isBooks = (resource: RegisteredResource) => resource.name.startsWith(`${BOOKS_PREFIX}-`);
const namesOf = (resources: RegisteredResource[]) => resources.flatMap(physicalNames);

describe("a second lake (books) beside the movies lake in one stack", () => {
  let alone: RegisteredResource[];
  let both: RegisteredResource[];
  let books: BooksLake;
  before(async function () {
    this.timeout(120_000);
    await useMocks({ stack: STACK });
    alone = (await build(false)).resources;
    const built = await build(true);
    both = built.resources;
    books = built.books!;
  });

  it("is built from the same components, each with its own children", () => {
    const components = both.filter((r) => !r.custom && isBooks(r)).map((r) => `${r.type} ${r.name}`);
    expect(components).to.have.members([
      `${both.find((r) => r.name === "books-lake")!.type} books-lake`,
      "cinelake:index:SparkJob books-job-authors",
      "cinelake:index:StarSchema books-catalog",
      "cinelake:index:Dashboard books-dashboard",
    ]);
    expect(both.find((r) => r.name === "books-lake")!.type).to.match(/^cinelake:[a-z]+:DataLakeBucket$/);
    const count = (type: string) => both.filter((r) => isBooks(r) && r.type === type).length;
    expect(count("aws:s3/bucket:Bucket"), "bucket").to.equal(1);
    expect(count("aws:glue/job:Job"), "Glue job").to.equal(1);
    // The job's role, and the one QuickSight assumes for the dashboard's Athena data source.
    expect(count("aws:iam/role:Role"), "IAM roles").to.equal(2);
    expect(count("aws:glue/catalogDatabase:CatalogDatabase"), "Glue databases").to.equal(2);
    expect(count("aws:glue/catalogTable:CatalogTable"), "Glue tables and view").to.equal(3);
    expect(count("aws:athena/workgroup:Workgroup"), "Athena workgroup").to.equal(1);
    // Only the script: the books job ships no shared package.
    expect(count("aws:s3/bucketObjectv2:BucketObjectv2"), "code objects").to.equal(1);
    // One visual over the one view: a data source, one dataset, an analysis and a dashboard.
    for (const kind of ["DataSource", "DataSet", "Analysis", "Dashboard"])
      expect(count(`aws-native:quicksight:${kind}`), kind).to.equal(1);
  });

  it("gives every resource of both lakes its own physical name", () => {
    const names = namesOf(both);
    const repeated = names.filter((name, index) => names.indexOf(name) !== index);
    expect(repeated, "physical names used twice").to.deep.equal([]);
    // Both lakes have the kinds that could collide: a bucket, Glue databases, tables, jobs, IAM roles, a workgroup.
    for (const type of [
      "aws:s3/bucket:Bucket",
      "aws:glue/catalogDatabase:CatalogDatabase",
      "aws:glue/catalogTable:CatalogTable",
      "aws:glue/job:Job",
      "aws:iam/role:Role",
      "aws:athena/workgroup:Workgroup",
      "aws-native:quicksight:DataSource",
      "aws-native:quicksight:DataSet",
      "aws-native:quicksight:Analysis",
      "aws-native:quicksight:Dashboard",
    ]) {
      const of = (lake: RegisteredResource[]) => namesOf(lake.filter((r) => r.type === type));
      expect(of(both.filter(isBooks)).length, `books ${type}`).to.be.greaterThan(0);
      expect(of(both.filter((r) => !isBooks(r))).length, `movies ${type}`).to.be.greaterThan(0);
    }
    expect(names.length).to.equal(namesOf(alone).length + namesOf(both.filter(isBooks)).length);
  });

  it("gives every resource of both lakes its own URN", () => {
    const urns = both.map((r) => r.urn);
    expect(urns.filter((urn, index) => urns.indexOf(urn) !== index)).to.deep.equal([]);
    expect(urns.length).to.equal(alone.length + both.filter(isBooks).length);
  });

  it("names everything of the books lake with its own prefix, and nothing of the movies lake with it", () => {
    const bookNames = namesOf(both.filter(isBooks)).map((name) => name.split(" ")[1]!);
    expect(bookNames.length).to.be.greaterThan(8);
    for (const name of bookNames)
      expect(name, name).to.match(new RegExp(`^(s3://)?${BOOKS_PREFIX}[-_]${STACK}([-_.]|$)`));
    for (const name of namesOf(both.filter((r) => !isBooks(r))).map((n) => n.split(" ")[1]!))
      expect(name, name).to.not.match(new RegExp(`^(s3://)?${BOOKS_PREFIX}[-_]`));
  });

  it("leaves the movies lake's physical names exactly as without the books lake", () => {
    expect(namesOf(both.filter((r) => !isBooks(r)))).to.deep.equal(namesOf(alone));
  });

  it("keeps each lake's job in its own bucket: the books role reaches only the books bucket, the movies roles never it", async () => {
    const booksArn = await valueOf(books.bucket.bucketArn);
    expect(booksArn).to.equal(`arn:aws:s3:::${BOOKS_PREFIX}-${STACK}-lake`);
    const s3Resources = (resource: RegisteredResource) =>
      parsePolicy(resource.inputs.policy)
        .Statement.filter((s) => [s.Action].flat().some((action) => String(action).startsWith("s3:")))
        .flatMap((s) => [s.Resource].flat().map(String));
    const policies = both.filter((r) => r.type === "aws:iam/rolePolicy:RolePolicy");
    const booksPolicies = policies.filter(isBooks);
    // The job's policy and QuickSight's role policy.
    expect(booksPolicies).to.have.length(2);
    for (const policy of booksPolicies)
      for (const arn of s3Resources(policy)) expect(arn, arn).to.satisfy((a: string) => a.startsWith(booksArn));
    for (const policy of policies.filter((r) => !isBooks(r)))
      for (const arn of s3Resources(policy)) expect(arn.startsWith(booksArn), `${policy.name}: ${arn}`).to.equal(false);
  });

  it("catalogs the books registry in the books databases, the view resolving there", async () => {
    expect(await valueOf(books.catalog.trustedDatabaseName)).to.equal(`${BOOKS_PREFIX}_${STACK}_trusted`);
    expect(await valueOf(books.catalog.workgroupName)).to.equal(`${BOOKS_PREFIX}-${STACK}`);
    expect(books.catalog.tableNames).to.deep.equal(["books", "dim_author"]);
    const view = plain(both.find((r) => r.name === `books-catalog-${PROLIFIC_AUTHORS_VIEW.name}`)!.inputs) as Record<
      string,
      unknown
    >;
    expect(view.databaseName).to.equal(`${BOOKS_PREFIX}_${STACK}_refined`);
    const decoded = decodePrestoView(String(view.viewOriginalText));
    expect(decoded.schema).to.equal(`${BOOKS_PREFIX}_${STACK}_refined`);
    expect(decoded.originalSql).to.equal(PROLIFIC_AUTHORS_VIEW.sql);
  });

  it("starts the books job with its own arguments and tags its resources as the books lake's", async () => {
    expect(await valueOf(books.job.jobName)).to.equal(`${BOOKS_PREFIX}-${STACK}-authors`);
    const job = plain(both.find((r) => r.type === "aws:glue/job:Job" && isBooks(r))!.inputs) as Record<string, unknown>;
    expect(job.defaultArguments).to.deep.include({
      "--lake_root": `s3://${BOOKS_PREFIX}-${STACK}-lake/`,
      "--trusted_books": "Trusted/Catalogue/Parquet/Books/",
      "--refined_authors": "Refined/dim_author/",
    });
    expect(job.tags).to.deep.include({ project: BOOKS_PREFIX, stack: STACK, lake: "books" });
  });

  it("draws the books visual through the same Dashboard, its QuickSight ids apart from the movies dashboard's", async () => {
    expect(await valueOf(books.dashboard.dashboardId)).to.equal(`${BOOKS_PREFIX}-${STACK}-dashboard`);
    const ids = (kind: string, lake: (r: RegisteredResource) => boolean) =>
      both.filter((r) => r.type === `aws-native:quicksight:${kind}` && lake(r)).flatMap(physicalNames);
    const movies = (r: RegisteredResource) => !isBooks(r);
    expect(ids("DataSet", isBooks)).to.deep.equal([
      `aws-native:quicksight:DataSet ${BOOKS_PREFIX}-${STACK}-ds-v-prolific-authors`,
    ]);
    for (const kind of ["DataSource", "DataSet", "Analysis", "Dashboard"])
      for (const id of ids(kind, isBooks)) expect(ids(kind, movies), id).to.not.include(id);
    // The definition draws the one visual from the books view's dataset, reading its Refined table only.
    const dashboard = plain(both.find((r) => r.type === "aws-native:quicksight:Dashboard" && isBooks(r))!.inputs) as {
      definition: { dataSetIdentifierDeclarations: { identifier: string }[]; sheets: { visuals: unknown[] }[] };
    };
    expect(dashboard.definition.dataSetIdentifierDeclarations.map((d) => d.identifier)).to.deep.equal([
      PROLIFIC_AUTHORS_VIEW.name,
    ]);
    expect(dashboard.definition.sheets[0]!.visuals).to.have.length(1);
    const role = both.find(
      (r) => r.type === "aws:iam/rolePolicy:RolePolicy" && r.name === "books-dashboard-role-policy",
    )!;
    const reads = parsePolicy(role.inputs.policy).Statement.find((s) => s.Sid === "ReadPrefixes")!;
    expect([reads.Resource].flat()).to.include(`arn:aws:s3:::${BOOKS_PREFIX}-${STACK}-lake/${AUTHORS_TABLE.location}*`);
  });
});
