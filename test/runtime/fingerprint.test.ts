/** The demo's job fingerprints and the bucket/folder mirror they rely on, against moto's S3 API server. */
import {
  CreateBucketCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  HeadObjectCommand,
  GetObjectTaggingCommand,
} from "@aws-sdk/client-s3";
import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DATASETS, lakeKey } from "../../components/lakePaths";
import { jobFingerprint } from "../../runtime/local/fingerprint";
import { mirrorBucketToFolder, restoreFolderToBucket } from "../../runtime/local/mirror";
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
    expect(await jobFingerprint(s3, "second", "trusted-csv", "2024-06-01")).not.to.equal(original);
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
});
