/**
 * The request evaluation of test/support/s3Requests.ts: how recorded S3 requests become IAM authorizations, and the
 * requests no local run can make evaluated against the policies the program registers (iam-simulate decides). The
 * requests the runtime parts really make are evaluated in their own tests (test/runtime/batchIngestor.test.ts,
 * test/runtime/apiIngestor*.test.ts, the Spark run in test/components/sparkJob.test.ts).
 */
import { expect } from "chai";
import { JOBS, type JobName } from "../../lake/jobs";
import { CHECKPOINT_KEY } from "../../runtime/api-ingestor/checkpoint";
import { folderMarkerKeys, jobScriptKeys } from "../../components/sparkJob";
import {
  describeDenied,
  evaluateS3Requests,
  iamChecks,
  registeredPolicies,
  type RecordedRequest,
} from "../support/s3Requests";

/** A recorded request with the fields a test does not care about filled in. */
const request = (fields: Partial<RecordedRequest> & Pick<RecordedRequest, "method" | "key">): RecordedRequest => ({
  part: "test",
  bucket: "some-test-bucket",
  query: {},
  copy_source: null,
  target: null,
  status: 200,
  ...fields,
});

const summary = (r: RecordedRequest) =>
  iamChecks(r, "cinelake-dev-lake").map((c) => [c.operation, c.action, c.resource, c.context]);

describe("S3 requests evaluated against the registered policies (iam-simulate)", function () {
  this.timeout(120_000);
  const lake = "arn:aws:s3:::cinelake-dev-lake";
  const tls = { "aws:SecureTransport": "true" };

  it("maps S3's REST requests to the IAM actions S3 authorizes them as", () => {
    expect(summary(request({ method: "HEAD", key: "Raw/a.csv" }))).to.deep.equal([
      ["HeadObject", "s3:GetObject", `${lake}/Raw/a.csv`, tls],
    ]);
    // A listing carries s3:prefix (and the other listing keys) into the request context; nothing else does.
    expect(
      summary(request({ method: "GET", key: "", query: { "list-type": "2", prefix: "Raw/", delimiter: "/" } })),
    ).to.deep.equal([["ListObjectsV2", "s3:ListBucket", lake, { ...tls, "s3:prefix": "Raw/", "s3:delimiter": "/" }]]);
    expect(summary(request({ method: "HEAD", key: "" }))[0]!.slice(0, 2)).to.deep.equal([
      "HeadBucket",
      "s3:ListBucket",
    ]);
    const multipart = [
      request({ method: "POST", key: "k", query: { uploads: "" } }),
      request({ method: "PUT", key: "k", query: { partNumber: "1", uploadId: "u" } }),
      request({ method: "POST", key: "k", query: { uploadId: "u" } }),
    ];
    expect(multipart.flatMap(summary).map(([operation, action]) => [operation, action])).to.deep.equal([
      ["CreateMultipartUpload", "s3:PutObject"],
      ["UploadPart", "s3:PutObject"],
      ["CompleteMultipartUpload", "s3:PutObject"],
    ]);
    expect(summary(request({ method: "GET", key: "k", query: { tagging: "" } }))[0]![1]).to.equal(
      "s3:GetObjectTagging",
    );
    expect(summary(request({ method: "DELETE", key: "k", query: { uploadId: "u" } }))[0]![1]).to.equal(
      "s3:AbortMultipartUpload",
    );
    // A copy reads its source; a multi-object delete is checked key by key.
    expect(summary(request({ method: "PUT", key: "b/x", copy_source: "/some-test-bucket/a/x" }))).to.deep.equal([
      ["PutObject", "s3:PutObject", `${lake}/b/x`, tls],
      ["PutObject", "s3:GetObject", `${lake}/a/x`, tls],
    ]);
    expect(
      summary(request({ method: "POST", key: "", query: { delete: "" }, delete_keys: ["a", "b"] })).map((c) => c[2]),
    ).to.deep.equal([`${lake}/a`, `${lake}/b`]);
    // A 404 on an object was only possible with s3:ListBucket, asked without any s3:prefix.
    expect(summary(request({ method: "GET", key: "k", status: 404 }))).to.deep.equal([
      ["GetObject", "s3:GetObject", `${lake}/k`, tls],
      ["GetObject", "s3:ListBucket", lake, tls],
    ]);
  });

  for (const stack of ["dev", "alice"]) {
    it(`${stack}: the ApiIngestor's first run reads a checkpoint that does not exist yet, and gets 404 (finding 3)`, async () => {
      const policies = await registeredPolicies("api-ingestor", stack);
      const results = await evaluateS3Requests(
        [request({ method: "GET", key: CHECKPOINT_KEY, status: 404 })],
        policies,
      );
      expect(results.map((r) => r.action)).to.deep.equal(["s3:GetObject", "s3:ListBucket"]);
      expect(describeDenied(results)).to.equal("");
    });

    for (const job of Object.keys(JOBS) as JobName[])
      it(`${stack}: ${job} may create, probe and remove the _$folder$ markers of its outputs, and no other (finding 4)`, async () => {
        const policies = await registeredPolicies(job, stack);
        const def = JOBS[job];
        const markers = folderMarkerKeys([...def.writes, jobScriptKeys(def).tempDir]);
        // Synthetic: Glue's s3:// (EMRFS) writes these markers when it creates an output folder and deletes them with
        // it; local Spark's s3a writes none, so the recorded Spark run cannot show them.
        const requests = markers.flatMap((key) => [
          request({ method: "HEAD", key, status: 404 }),
          request({ method: "PUT", key }),
          request({ method: "DELETE", key, status: 204 }),
        ]);
        // And Hadoop's existence checks of outputs not written yet: HEAD of the folder key, answered 404.
        for (const prefix of def.writes)
          requests.push(request({ method: "HEAD", key: prefix.slice(0, -1), status: 404 }));
        expect(markers).to.include(`${def.writes[0]!.split("/")[0]}_$folder$`);
        const results = await evaluateS3Requests(requests, policies);
        expect(describeDenied(results)).to.equal("");
        // The evaluation can say no: another job's markers, a key beside a marker, another job's run report.
        const others = (Object.keys(JOBS) as JobName[]).filter((other) => other !== job);
        const foreign = others
          .flatMap((other) => folderMarkerKeys(JOBS[other].writes))
          .filter((key) => !markers.includes(key));
        const denied = await evaluateS3Requests(
          [
            ...foreign.map((key) => request({ method: "PUT", key })),
            request({ method: "PUT", key: `${def.writes[0]!.slice(0, -1)}_$folder$x` }),
            request({ method: "GET", key: `${JOBS[others[0]!].prefixes.report_prefix}run.json` }),
          ],
          policies,
        );
        expect(foreign.length).to.be.greaterThan(0);
        expect(denied.map((r) => r.decision)).to.deep.equal(denied.map(() => "ImplicitlyDenied"));
      });
  }
});
