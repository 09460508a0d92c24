/**
 * The local catalog CLI (`npm run catalog`): mirrors a bucket on a real local S3 API server, builds the DuckDB file with
 * glue/local/catalog.py, and the file opens in @duckdb/node-api (the dashboard preview's reader).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { DuckDBInstance } from "@duckdb/node-api";
import { expect } from "chai";
import { ConfigError } from "../../lake/errors";
import { TABLES, tableByName } from "../../lake/tables";
import { UsageError } from "../../runtime/shared/flags";
import { makeS3Client } from "../../runtime/shared/s3Client";
import { startS3Server, type LocalS3Server } from "../../runtime/local/s3Server";
import { catalogPrefixes, mirrorFolder, parseCatalogArgs, runCatalog } from "../../runtime/local/catalog";

/** Writes one small Parquet file with python's duckdb (the test's only way to make Parquet without Spark). */
function parquet(path: string, select: string): Buffer {
  const run = spawnSync("python3", [
    "-c",
    `import duckdb, sys; duckdb.sql(sys.argv[1])`,
    `COPY (${select}) TO '${path}'`,
  ]);
  expect(run.status, run.stderr?.toString()).to.equal(0);
  return readFileSync(path);
}

async function query(database: string, sql: string): Promise<unknown[][]> {
  const instance = await DuckDBInstance.create(database, { access_mode: "READ_ONLY" });
  const connection = await instance.connect();
  try {
    return (await connection.runAndReadAll(sql)).getRowsJson();
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

describe("local catalog (npm run catalog)", () => {
  let server: LocalS3Server;
  let work: string;
  const saved: Record<string, string | undefined> = {};

  before(async function () {
    this.timeout(60_000);
    server = await startS3Server();
    for (const [key, value] of Object.entries(server.env)) {
      saved[key] = process.env[key];
      process.env[key] = value;
    }
    work = mkdtempSync(join(tmpdir(), "cinelake-catalog-"));
  });

  after(async () => {
    for (const [key, value] of Object.entries(saved))
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    await server?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it("parses its arguments and refuses ambiguous ones", () => {
    expect(parseCatalogArgs(["--bucket", "lake"])).to.deep.equal({ bucket: "lake" });
    expect(parseCatalogArgs(["--lake-dir", "/tmp/x", "--out", "/tmp/c.duckdb"])).to.deep.equal({
      lakeDir: "/tmp/x",
      out: "/tmp/c.duckdb",
    });
    expect(() => parseCatalogArgs(["--bucket", "a", "--lake-dir", "b"])).to.throw(/exactly one/);
    expect(() => parseCatalogArgs([])).to.throw(/usage/);
    expect(() => parseCatalogArgs(["--lake-dir", "/tmp/x", "extra"])).to.throw(UsageError, /unexpected argument/);
    expect(() => parseCatalogArgs(["--bucket"])).to.throw(UsageError, /--bucket.*usage: npm run catalog/);
    expect(() => mirrorFolder("Bad_Bucket")).to.throw(ConfigError, /^--bucket: the bucket name "Bad_Bucket" has/);
    // The name becomes part of a path: nothing that could leave the catalog folder gets through.
    expect(() => mirrorFolder("../up")).to.throw(ConfigError, /^--bucket: the bucket name "\.\.\/up"/);
  });

  it("mirrors only the registry tables' prefixes", () => {
    const prefixes = catalogPrefixes();
    expect(prefixes).to.include(tableByName("fact_title").location).and.include(tableByName("trusted_movies").location);
    expect(prefixes.length).to.equal(new Set(TABLES.map((table) => table.location)).size);
    expect(prefixes.every((prefix) => /^(Trusted|Refined)\//.test(prefix))).to.equal(true);
  });

  it("builds the catalog from a bucket and the preview's DuckDB reads it", async function () {
    this.timeout(120_000);
    const s3 = makeS3Client();
    await s3.send(new CreateBucketCommand({ Bucket: "catalog-lake" }));
    const genres = parquet(join(work, "g.parquet"), "SELECT 7::BIGINT AS genre_key, 'Drama' AS genre_name");
    const genreKey = `${tableByName("dim_genre").location}part-0.parquet`;
    await s3.send(new PutObjectCommand({ Bucket: "catalog-lake", Key: genreKey, Body: genres }));
    await s3.send(new PutObjectCommand({ Bucket: "catalog-lake", Key: "Raw/ignored.txt", Body: "not mirrored" }));

    const database = await runCatalog({ bucket: "catalog-lake" }, work);

    expect(database).to.equal(join(work, ".lake", "catalog", "catalog-lake", "catalog.duckdb"));
    expect(await query(database, "SELECT genre_key, genre_name FROM dim_genre")).to.deep.equal([["7", "Drama"]]);
    expect(await query(database, "SELECT count(*) FROM v_title_summary")).to.deep.equal([["0"]]);
    expect(spawnSync("ls", [join(work, ".lake", "catalog", "catalog-lake", "lake", "Raw")]).status).to.not.equal(0);
  });
});
