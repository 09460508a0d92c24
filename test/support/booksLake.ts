/**
 * A second, tiny lake built from the same components as the movies lake: books and authors. Its own registry (one
 * Trusted table, one Refined table, one view), one Spark job (test/support/books/authors_job.py, no shared package),
 * one visual over its view, and its own name prefix, `books`, so it can stand beside the movies lake in one stack and
 * account. The reuse test (test/components/secondLake.test.ts) builds it under the mocks.
 */
import { join } from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import type { DashboardDef } from "../../lake/visuals";
import { Dashboard } from "../../components/dashboard";
import { DataLakeBucket } from "../../components/dataLakeBucket";
import type { CatalogTableDef, CatalogViewDef } from "../../components/glueCatalog";
import { SparkJob, type SparkJobDefinition } from "../../components/sparkJob";
import { StarSchema } from "../../components/starSchema";

/** The books lake's name prefix: the first part of every physical name it creates. */
export const BOOKS_PREFIX = "books";

const col = (name: string, type: string, description: string) => ({ name, type, description });

/** The Trusted table: one row per book, as the catalogue exports it. */
export const BOOKS_TABLE: CatalogTableDef = {
  name: "books",
  zone: "trusted",
  description: "One row per book of the catalogue export.",
  location: "Trusted/Catalogue/Parquet/Books/",
  columns: [
    col("isbn", "string", "ISBN-13 of the edition."),
    col("title", "string", "Title as printed."),
    col("author", "string", "Main author's name."),
    col("published_year", "int", "Year of first publication."),
  ],
  partitionKeys: [],
};

/** The Refined table: one row per author. */
export const AUTHORS_TABLE: CatalogTableDef = {
  name: "dim_author",
  zone: "refined",
  description: "One row per author: how many books and since when.",
  location: "Refined/dim_author/",
  columns: [
    col("author", "string", "Author's name."),
    col("books", "bigint", "Books in the catalogue."),
    col("first_year", "int", "Year of the author's first book."),
  ],
  partitionKeys: [],
};

/** The view: the most prolific authors. */
export const PROLIFIC_AUTHORS_VIEW: CatalogViewDef = {
  name: "v_prolific_authors",
  description: "Authors with at least three books, most books first.",
  sql: "SELECT author, books FROM dim_author WHERE books >= 3 ORDER BY books DESC",
  columns: [col("author", "string", "Author's name."), col("books", "bigint", "Books in the catalogue.")],
};

/** The books lake's dashboard: one visual over its one view, no tiles, no filters (the view has no filter columns). */
export const BOOKS_DASHBOARD: DashboardDef = {
  title: "Books",
  lead: "Who wrote the most books of the catalogue.",
  kpis: [],
  filters: [],
  visuals: [
    {
      id: "prolific_authors",
      title: "The most prolific authors",
      chart: "bar",
      dataset: PROLIFIC_AUTHORS_VIEW.name,
      dimensions: [{ column: "author", label: "Author" }],
      measures: [{ id: "books", column: "books", aggregation: "sum", label: "Books", format: "integer" }],
      sort: { by: "books", direction: "desc" },
      limit: 10,
      shows: "Books in the catalogue per author, for authors with at least three.",
      finding: (rows) =>
        rows[0] ? `${String(rows[0].author)} wrote the most books (${String(rows[0].books)}).` : undefined,
    },
  ],
};

/** The books lake's one job, on a bucket: Trusted books to Refined authors. */
export function authorsJob(bucketName: string): SparkJobDefinition {
  return {
    name: "authors",
    description: "Trusted books to the Refined table of authors.",
    script: join(__dirname, "books", "authors_job.py"),
    arguments: {
      lake_root: `s3://${bucketName}/`,
      trusted_books: BOOKS_TABLE.location,
      refined_authors: AUTHORS_TABLE.location,
    },
    reads: [BOOKS_TABLE.location],
    writes: [AUTHORS_TABLE.location],
  };
}

/** What the books lake builds. */
export interface BooksLake {
  /** Its own bucket (`books-<stack>-lake`). */
  bucket: DataLakeBucket;
  /** The authors job. */
  job: SparkJob;
  /** Its catalog: `books_<stack>_trusted` / `_refined`, the view and the `books-<stack>` workgroup. */
  catalog: StarSchema;
  /** Its dashboard (`books-<stack>-dashboard`), the one visual over the view. */
  dashboard: Dashboard;
}

/** Builds the books lake for a stack, from the same components as the movies lake; `principalArn` owns the dashboard. */
export function buildBooksLake(
  stackName: string,
  principalArn: string,
  opts: pulumi.ComponentResourceOptions = {},
): BooksLake {
  const common = { stackName, namePrefix: BOOKS_PREFIX, tags: { lake: "books" } };
  const bucket = new DataLakeBucket("books-lake", { ...common, forceDestroy: true }, opts);
  const job = new SparkJob("books-job-authors", { ...common, bucket, job: authorsJob(bucket.plannedBucketName) }, opts);
  const catalog = new StarSchema(
    "books-catalog",
    {
      ...common,
      bucket,
      tables: [BOOKS_TABLE, AUTHORS_TABLE],
      views: [PROLIFIC_AUTHORS_VIEW],
      // No pipeline: a Trusted-then-Refined workflow needs a job on each side, and this lake has only one.
    },
    opts,
  );
  const dashboard = new Dashboard(
    "books-dashboard",
    {
      ...common,
      bucket,
      workgroupName: catalog.workgroupName,
      refinedDatabaseName: catalog.refinedDatabaseName,
      viewTables: catalog.viewTables,
      tables: [BOOKS_TABLE, AUTHORS_TABLE],
      views: [PROLIFIC_AUTHORS_VIEW],
      dashboard: BOOKS_DASHBOARD,
      principalArn,
      // The mocks answer for QuickSight; a real stack checks the subscription (docs/quicksight.md).
      checkSubscription: false,
    },
    opts,
  );
  return { bucket, job, catalog, dashboard };
}
