/** The demo's job fingerprints and the bucket/folder mirror they rely on, against moto's S3 API server. */
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  HeadObjectCommand,
  GetObjectTaggingCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { expect } from "chai";
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DATASETS, lakeKey } from "../../lake/paths";
import { jobFingerprint } from "../../runtime/local/fingerprint";
import { listFiles, mirrorBucketToFolder, restoreFolderToBucket } from "../../runtime/local/mirror";
import { startS3Server, type LocalS3Server } from "../../runtime/local/s3Server";
import { makeS3Client } from "../../runtime/shared/s3Client";

const MOVIES = lakeKey({ ...DATASETS.rawMoviesCsv, date: "2024-06-01", file: "movies.csv" });
const SERIES = lakeKey({ ...DATASETS.rawSeriesCsv, date: "2024-06-01", file: "series.csv" });

describe("demo fingerprints and the lake mirror", () => {
  let server: LocalS3Server;
  let s3: ReturnType<typeof makeS3Client>;
  const folder = mkdtempSync(join(tmpdir(), "cinelake-mirror-"));

  before(async () => {
    server = await startS3Server();
    s3 = makeS3Client({ ...process.env, ...server.env });
    for (const bucket of ["first", "second"]) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutObjectCommand({ Bucket: "first", Key: MOVIES, Body: "a|b\r\n", Metadata: { sha256: "abc" } }));
    await s3.send(new PutObjectCommand({ Bucket: "first", Key: SERIES, Body: "c|d\r\n" }));
    await s3.send(
      new PutObjectTaggingCommand({
        Bucket: "first",
        Key: SERIES,
        Tagging: { TagSet: [{ Key: "sha256", Value: "def" }] },
      }),
    );
  });
  after(async () => {
    await server.stop();
    rmSync(folder, { recursive: true, force: true });
  });

  it("mirrors a bucket into a folder and back, bytes, metadata and tags included", async () => {
    const mirrored = await mirrorBucketToFolder(s3, "first", folder, ["Raw/"]);
    expect(mirrored).to.include({ copied: 2, removed: 0 });
    expect(readFileSync(join(folder, MOVIES), "utf8")).to.equal("a|b\r\n");
    const restored = await restoreFolderToBucket(s3, "second", folder, ["Raw/"]);
    expect(restored).to.include({ copied: 2 });
    expect((await s3.send(new HeadObjectCommand({ Bucket: "second", Key: MOVIES }))).Metadata).to.deep.equal({
      sha256: "abc",
    });
    const tags = await s3.send(new GetObjectTaggingCommand({ Bucket: "second", Key: SERIES }));
    expect(tags.TagSet).to.deep.equal([{ Key: "sha256", Value: "def" }]);
    expect(await restoreFolderToBucket(s3, "second", folder, ["Raw/"])).to.include({ copied: 0, unchanged: 2 });
  });

  it("gives the same fingerprint to a restored lake, and another one when an input, the date or the job changes", async () => {
    const original = await jobFingerprint(s3, "first", "trusted-csv", "2024-06-01");
    expect(await jobFingerprint(s3, "second", "trusted-csv", "2024-06-01")).to.equal(original);
    expect(await jobFingerprint(s3, "second", "trusted-csv", "latest")).not.to.equal(original);
    expect(await jobFingerprint(s3, "second", "trusted-tmdb", "2024-06-01")).not.to.equal(original);
    await s3.send(new PutObjectCommand({ Bucket: "second", Key: MOVIES, Body: "a|b|c\r\n" }));
    const changed = await jobFingerprint(s3, "second", "trusted-csv", "2024-06-01");
    expect(changed).not.to.equal(original);
    // Same size, other bytes (a CSV replaced with --overwrite): the fingerprint follows the content, not the size.
    await s3.send(new PutObjectCommand({ Bucket: "second", Key: MOVIES, Body: "a|b|d\r\n" }));
    expect(await jobFingerprint(s3, "second", "trusted-csv", "2024-06-01")).not.to.equal(changed);
  });

  it("leaves out directory markers, the keys ending in / that s3a makes while a Spark job writes", async () => {
    const marker = "Trusted/Local/Parquet/Movies/_temporary/0/";
    await s3.send(new PutObjectCommand({ Bucket: "first", Key: marker, Body: "" }));
    try {
      const mirrored = await mirrorBucketToFolder(s3, "first", folder, ["Trusted/"]);
      expect(mirrored).to.include({ copied: 0, removed: 0 });
      expect([...listFiles(folder, "Trusted/").keys()]).to.deep.equal([]);
    } finally {
      await s3.send(new DeleteObjectCommand({ Bucket: "first", Key: marker }));
    }
  });

  it("removes from the folder what the bucket no longer holds", async () => {
    const mirrored = await mirrorBucketToFolder(s3, "second", folder, ["Raw/Local/CSV/Series/"]);
    expect(mirrored).to.include({ unchanged: 1, removed: 0 });
    await s3.send(
      new PutObjectCommand({ Bucket: "second", Key: SERIES.replace("series.csv", "extra.csv"), Body: "x" }),
    );
    await mirrorBucketToFolder(s3, "second", folder, ["Raw/Local/CSV/Series/"]);
    await s3.send(new PutObjectCommand({ Bucket: "first", Key: "Raw/keep.txt", Body: "k" }));
    const pruned = await mirrorBucketToFolder(s3, "first", folder, ["Raw/Local/CSV/Series/"]);
    expect(pruned).to.include({ removed: 1 });
  });

  it("compares content, not size, both ways: a stamps file rewritten at the same size is copied (issue 13 #10)", async () => {
    const key = "_system/local/job-stamps.json";
    const stamps = (letter: string) => JSON.stringify({ job: letter.repeat(200) });
    const root = mkdtempSync(join(tmpdir(), "cinelake-stamps-"));
    try {
      await s3.send(new CreateBucketCommand({ Bucket: "stamps" }));
      await s3.send(new PutObjectCommand({ Bucket: "stamps", Key: key, Body: stamps("a") }));
      await mirrorBucketToFolder(s3, "stamps", root, ["_system/"]);
      await s3.send(new PutObjectCommand({ Bucket: "stamps", Key: key, Body: stamps("b") }));
      expect(await mirrorBucketToFolder(s3, "stamps", root, ["_system/"])).to.include({ copied: 1 });
      expect(readFileSync(join(root, key), "utf8")).to.equal(stamps("b"));
      // The folder changes at the same size (a later run's stamps): the restore uploads it over the bucket's.
      writeFileSync(join(root, key), stamps("c"));
      expect(await restoreFolderToBucket(s3, "stamps", root, ["_system/"])).to.include({ copied: 1 });
      const stored = await s3.send(new GetObjectCommand({ Bucket: "stamps", Key: key }));
      expect(await stored.Body?.transformToString()).to.equal(stamps("c"));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("replaces a prefix as a whole: a mirror stopped mid-way leaves one run's part files, never two (issue 13 #2)", async () => {
    const root = mkdtempSync(join(tmpdir(), "cinelake-parts-"));
    const table = "Trusted/Local/Parquet/Movies/";
    const put = (name: string) =>
      s3.send(new PutObjectCommand({ Bucket: "parts", Key: `${table}${name}`, Body: name }));
    try {
      await s3.send(new CreateBucketCommand({ Bucket: "parts" }));
      for (const name of ["part-0-run1.parquet", "part-1-run1.parquet", "_SUCCESS"]) await put(name);
      await mirrorBucketToFolder(s3, "parts", root, ["Trusted/"]);
      // A second run rewrote the table: new part files, the old ones deleted.
      for (const name of ["part-0-run1.parquet", "part-1-run1.parquet"])
        await s3.send(new DeleteObjectCommand({ Bucket: "parts", Key: `${table}${name}` }));
      for (const name of ["part-0-run2.parquet", "part-1-run2.parquet"]) await put(name);
      // The mirror is stopped (here: its download fails) after the first new part file.
      const failing = {
        send: (command: { input?: { Key?: string } }) => {
          if (command instanceof GetObjectCommand && command.input.Key?.endsWith("part-1-run2.parquet"))
            return Promise.reject(new Error("stopped mid-mirror"));
          return s3.send(command as never);
        },
      } as unknown as S3Client;
      let stopped: Error | undefined;
      await mirrorBucketToFolder(failing, "parts", root, ["Trusted/"]).catch((error: Error) => (stopped = error));
      expect(stopped?.message).to.equal("stopped mid-mirror");
      const names = () => [...listFiles(root, "Trusted/").keys()].map((key) => key.slice(table.length)).sort();
      expect(names()).to.deep.equal(["_SUCCESS", "part-0-run1.parquet", "part-1-run1.parquet"]);
      // The next mirror brings the second run's files, and only those.
      await mirrorBucketToFolder(s3, "parts", root, ["Trusted/"]);
      expect(names()).to.deep.equal(["_SUCCESS", "part-0-run2.parquet", "part-1-run2.parquet"]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("finishes a swap that was stopped between its two renames before restoring", async () => {
    const root = mkdtempSync(join(tmpdir(), "cinelake-swap-"));
    try {
      await s3.send(new CreateBucketCommand({ Bucket: "swap-from" }));
      await s3.send(new PutObjectCommand({ Bucket: "swap-from", Key: "Refined/fact/part-new.parquet", Body: "n" }));
      await mirrorBucketToFolder(s3, "swap-from", root, ["Refined/"]);
      // As a stop leaves it: the new tree ready in the staging folder, the current one already moved aside.
      const staging = join(root, ".cinelake-mirror");
      mkdirSync(staging, { recursive: true });
      renameSync(join(root, "Refined"), join(staging, `${encodeURIComponent("Refined/")}.ready`));
      mkdirSync(join(staging, `${encodeURIComponent("Refined/")}.old`, "fact"), { recursive: true });
      writeFileSync(join(staging, `${encodeURIComponent("Refined/")}.old`, "fact", "part-old.parquet"), "o");
      await s3.send(new CreateBucketCommand({ Bucket: "swap-to" }));
      expect(await restoreFolderToBucket(s3, "swap-to", root, ["Refined/"])).to.include({ copied: 1 });
      expect([...listFiles(root, "Refined/").keys()]).to.deep.equal(["Refined/fact/part-new.parquet"]);
      const head = await s3.send(new HeadObjectCommand({ Bucket: "swap-to", Key: "Refined/fact/part-new.parquet" }));
      expect(head.ContentLength).to.equal(1);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("restores a multipart object with the ETag it had, so a restored lake keeps its job fingerprints", async () => {
    const root = mkdtempSync(join(tmpdir(), "cinelake-multipart-"));
    const key = "Raw/Local/CSV/Movies/2024/06/01/movies.csv";
    try {
      for (const bucket of ["big-from", "big-to"]) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      // 17 MiB in 8 MiB parts, as the BatchIngestor uploads: three parts.
      const body = Buffer.alloc(17 * 1024 * 1024, "x");
      body.write("distinct", 9 * 1024 * 1024);
      const uploaded = await new Upload({
        client: s3,
        partSize: 8 * 1024 * 1024,
        params: { Bucket: "big-from", Key: key, Body: body },
      }).done();
      expect(uploaded.ETag).to.match(/-3"$/);
      await mirrorBucketToFolder(s3, "big-from", root, ["Raw/"]);
      await restoreFolderToBucket(s3, "big-to", root, ["Raw/"]);
      const restored = await s3.send(new HeadObjectCommand({ Bucket: "big-to", Key: key }));
      expect(restored.ETag).to.equal(uploaded.ETag);
      expect(await jobFingerprint(s3, "big-to", "trusted-csv", "2024-06-01")).to.equal(
        await jobFingerprint(s3, "big-from", "trusted-csv", "2024-06-01"),
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
