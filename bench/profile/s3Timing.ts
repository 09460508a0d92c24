/**
 * A timing proxy in front of the S3 API server (moto): the jobs' s3a client is pointed at it, and it records every
 * request's operation, start, end and bytes. Measured from the client's side of the server, so a request's time is
 * what the job waited for (moto's work plus loopback HTTP), which is what a job step loses to the S3 API.
 */
import { Agent, createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One proxied request. */
export interface S3Call {
  /** The S3 operation, guessed from method, path and query (e.g. `GetObject`, `ListObjectsV2`). */
  operation: string;
  /** Epoch milliseconds when the request arrived and when its response was fully sent. */
  start: number;
  end: number;
  /** HTTP status of the answer (0 when the server could not be reached). */
  status: number;
  /** Request and response body bytes. */
  bytesIn: number;
  bytesOut: number;
}

/** A running timing proxy. */
export interface S3TimingProxy {
  /** The endpoint to give the jobs (`AWS_ENDPOINT_URL_S3`). */
  endpoint: string;
  /** The requests recorded so far. */
  calls(): S3Call[];
  /** Stops listening. */
  stop(): Promise<void>;
}

/** Epoch milliseconds with sub-millisecond precision (Spark's event log and Python's time.time() use the same clock). */
export const nowMs = (): number => performance.timeOrigin + performance.now();

/** The S3 operation of a path-style request, by the rules S3 itself uses (method, key or not, query parameters). */
export function s3Operation(method: string, url: string): string {
  const parsed = new URL(url, "http://proxy");
  const [, , ...keyParts] = parsed.pathname.split("/");
  const hasKey = keyParts.join("/") !== "";
  const query = parsed.searchParams;
  if (!hasKey) {
    if (method === "GET") return query.get("list-type") === "2" ? "ListObjectsV2" : "ListObjects";
    if (method === "POST" && query.has("delete")) return "DeleteObjects";
    return method === "HEAD" ? "HeadBucket" : `${method} bucket`;
  }
  if (method === "HEAD") return "HeadObject";
  if (method === "GET") return "GetObject";
  if (method === "DELETE") return query.has("uploadId") ? "AbortMultipartUpload" : "DeleteObject";
  if (method === "POST") return query.has("uploads") ? "CreateMultipartUpload" : "CompleteMultipartUpload";
  if (method === "PUT") return query.has("partNumber") ? "UploadPart" : "PutObject (or CopyObject)";
  return `${method} object`;
}

/** Starts the proxy on a free port of 127.0.0.1, forwarding to `target` (moto's `http://127.0.0.1:PORT`). */
export async function startS3TimingProxy(target: string): Promise<S3TimingProxy> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const recorded: S3Call[] = [];
  const server = createServer((incoming: IncomingMessage, outgoing: ServerResponse) => {
    const call: S3Call = {
      operation: s3Operation(incoming.method ?? "GET", incoming.url ?? "/"),
      start: nowMs(),
      end: 0,
      status: 0,
      bytesIn: 0,
      bytesOut: 0,
    };
    const finish = () => {
      if (call.end === 0) {
        call.end = nowMs();
        recorded.push(call);
      }
    };
    incoming.on("data", (chunk: Buffer) => (call.bytesIn += chunk.length));
    const forwarded = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: incoming.method,
        path: incoming.url,
        headers: incoming.headers,
        agent,
      },
      (answer) => {
        call.status = answer.statusCode ?? 0;
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.on("data", (chunk: Buffer) => (call.bytesOut += chunk.length));
        answer.pipe(outgoing);
        answer.once("end", finish);
      },
    );
    forwarded.once("error", (error) => {
      if (!outgoing.headersSent) outgoing.writeHead(502);
      outgoing.end(error.message);
      finish();
    });
    outgoing.once("close", finish);
    incoming.pipe(forwarded);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls: () => recorded,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
        agent.destroy();
      }),
  };
}

/** Count, summed time and busy time (the union of the requests' intervals: time at least one was waiting), in s. */
export function summarizeCalls(calls: S3Call[]): { requests: number; seconds: number; busySeconds: number } {
  const sorted = [...calls].sort((a, b) => a.start - b.start);
  let busy = 0;
  let openStart = -Infinity;
  let openEnd = -Infinity;
  for (const call of sorted) {
    if (call.start > openEnd) {
      if (openEnd > openStart) busy += openEnd - openStart;
      openStart = call.start;
      openEnd = call.end;
    } else openEnd = Math.max(openEnd, call.end);
  }
  if (openEnd > openStart) busy += openEnd - openStart;
  const seconds = calls.reduce((sum, call) => sum + (call.end - call.start), 0) / 1000;
  return { requests: calls.length, seconds, busySeconds: busy / 1000 };
}
