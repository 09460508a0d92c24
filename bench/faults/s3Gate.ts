/**
 * An HTTP proxy in front of an S3 API server that makes concurrent writers meet at the commit: it holds every request
 * that makes an object visible (a PutObject with a body, a CompleteMultipartUpload) until `commitsPerKey` of them have
 * arrived for the same key, then hands them to the server one after the other, in arrival order. So two runs started
 * at once have both done their "is something there?" check before either write lands — the interleaving that loses a
 * file — every time, not by luck.
 *
 * One after the other, not all at once: moto 5.2.5 checks `If-None-Match` / `If-Match` and then stores the object
 * without a lock (moto/s3/responses.py put_object and the CompleteMultipartUpload branch), so two commits it handles in
 * the same instant can both pass their condition; S3 evaluates the condition atomically. The gate stands in for that
 * atomicity, nothing else: the writers, their requests and the server's answers are real.
 *
 * Used by test/runtime/batchIngestor.test.ts and bench/faults/batch.ts.
 */
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type Server } from "node:http";
import { freePort } from "../../runtime/local/s3Server";

/** A request as the gate sees it (path-style addressing: `/bucket/key`). */
export interface GateRequest {
  /** The HTTP method. */
  method: string;
  /** The bucket. */
  bucket: string;
  /** The object key ("" for a bucket-level request). */
  key: string;
  /** The query parameters. */
  query: URLSearchParams;
  /** The request headers. */
  headers: IncomingHttpHeaders;
  /** True for a request that makes an object visible (PutObject with a body, CompleteMultipartUpload). */
  commit: boolean;
}

/** A commit the gate forwarded, with the server's answer. */
export interface GateCommit {
  /** The object key. */
  key: string;
  /** The HTTP status the server answered. */
  status: number;
  /** The conditional header it carried, for reports: `If-None-Match: *`, `If-Match: "…"`, or "" (unconditional). */
  condition: string;
}

/** What to start the gate with. */
export interface GateOptions {
  /** How many commits of one key to wait for before forwarding them (default 2). */
  commitsPerKey?: number;
  /**
   * How long the first commit of a key waits for the others before it is forwarded alone (default 20 s), so a writer
   * that never commits (refused earlier, or crashed) cannot hang the other.
   */
  waitMs?: number;
  /** Called before any request is forwarded; the request waits until the returned promise settles. */
  hold?: (request: GateRequest) => Promise<void> | void;
  /** Requests whose body gets its first byte flipped on the way ("corrupted in transit"). */
  corrupt?: (request: GateRequest) => boolean;
}

/** A running gate. */
export interface CommitGate {
  /** The endpoint to point the writers at (`AWS_ENDPOINT_URL_S3`). */
  endpoint: string;
  /** The commits forwarded so far, in the order the server handled them. */
  commits: GateCommit[];
  /** Stops the gate. */
  close(): Promise<void>;
}

/** True for PutObject (a body for a key, not a part, tag set or copy) and CompleteMultipartUpload. */
export function isCommit(method: string, key: string, query: URLSearchParams, headers: IncomingHttpHeaders): boolean {
  if (key === "") return false;
  if (method === "POST") return query.has("uploadId");
  if (method !== "PUT") return false;
  return !["partNumber", "uploadId", "tagging", "acl", "retention", "legal-hold"].some((name) => query.has(name))
    ? headers["x-amz-copy-source"] === undefined
    : false;
}

function describe(req: IncomingMessage): GateRequest {
  const url = new URL(req.url ?? "/", "http://gate");
  const [bucket = "", ...rest] = decodeURIComponent(url.pathname).replace(/^\//, "").split("/");
  const key = rest.join("/");
  const method = req.method ?? "GET";
  return {
    method,
    bucket,
    key,
    query: url.searchParams,
    headers: req.headers,
    commit: isCommit(method, key, url.searchParams, req.headers),
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Starts the gate on a free port of 127.0.0.1 in front of `target` (e.g. moto's `http://127.0.0.1:PORT`). */
export async function startCommitGate(target: string, options: GateOptions = {}): Promise<CommitGate> {
  const upstream = new URL(target);
  const commitsPerKey = options.commitsPerKey ?? 2;
  const waitMs = options.waitMs ?? 20_000;
  const commits: GateCommit[] = [];
  // Per key: the commits waiting, and the timer that forwards them if the others never come.
  const waiting = new Map<string, { forward: () => Promise<void>; timer?: NodeJS.Timeout }[]>();
  // Commits are handed to the server strictly one at a time.
  let serial: Promise<void> = Promise.resolve();

  const forward = (req: IncomingMessage, body: Buffer, res: import("node:http").ServerResponse, info: GateRequest) =>
    new Promise<void>((resolve) => {
      const headers = { ...req.headers, "content-length": String(body.length) };
      delete headers["transfer-encoding"];
      const upstreamRequest = request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers },
        (response) => {
          if (info.commit) {
            const condition = req.headers["if-none-match"]
              ? `If-None-Match: ${req.headers["if-none-match"]}`
              : req.headers["if-match"]
                ? `If-Match: ${req.headers["if-match"]}`
                : "";
            commits.push({ key: info.key, status: response.statusCode ?? 0, condition });
          }
          res.writeHead(response.statusCode ?? 502, response.headers);
          response.pipe(res);
          response.on("end", () => resolve());
          response.on("error", () => resolve());
        },
      );
      upstreamRequest.on("error", () => {
        res.destroy();
        resolve();
      });
      upstreamRequest.end(body);
    });

  const release = (key: string) => {
    const queue = waiting.get(key) ?? [];
    waiting.delete(key);
    for (const entry of queue) {
      clearTimeout(entry.timer);
      serial = serial.then(entry.forward);
    }
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const info = describe(req);
      // Read the whole body first: the writer has sent its commit, and only the server's handling is ordered.
      const body = await readBody(req);
      if (body.length > 0 && options.corrupt?.(info)) body[0] = (body[0] as number) ^ 0x01;
      await options.hold?.(info);
      if (!info.commit) return forward(req, body, res, info);
      const id = `${info.bucket}/${info.key}`;
      const queue = waiting.get(id) ?? [];
      const entry: { forward: () => Promise<void>; timer?: NodeJS.Timeout } = {
        forward: () => forward(req, body, res, info),
      };
      queue.push(entry);
      waiting.set(id, queue);
      if (queue.length >= commitsPerKey) release(id);
      else if (queue.length === 1) entry.timer = setTimeout(() => release(id), waitMs);
    })().catch(() => res.destroy());
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    endpoint: `http://127.0.0.1:${port}`,
    commits,
    close: async () => {
      for (const key of [...waiting.keys()]) release(key);
      await serial;
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
