/**
 * The ApiIngestor's lease: one S3 object that says which run is fetching, so that two runs never fetch the same ids
 * (issue 13, finding 8). It is created with a conditional write (`If-None-Match: *`: of two runs that start at once,
 * exactly one creates it), holds who and since when, and carries an expiry that the holder pushes forward while it
 * runs (`If-Match` on the ETag it wrote, so a renewal can never overwrite someone else's lease). A killed run stops
 * renewing, so its lease expires and the next run takes it over (again `If-Match`, on the expired lease's ETag);
 * a run of the command on the same host whose process is gone is taken over at once. At the end the holder deletes
 * it, `If-Match` its own ETag, so it never deletes a lease another run has taken since.
 *
 * The Lambda's reserved concurrency of 1 is the AWS-side guard; the lease also covers a manual invoke next to the
 * schedule and a local run against the deployed bucket.
 */
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { CHECKPOINT_PREFIX } from "./checkpoint";

/** The lease object, beside the checkpoint it protects. */
export const LEASE_KEY = `${CHECKPOINT_PREFIX}lease.json`;
/** How long a lease lives without renewal: what a killed run on another machine costs the next one at most. */
export const DEFAULT_LEASE_TTL_MS = 60_000;

/** What a lease records about its holder (stored as the object's JSON body). */
export interface LeaseDoc {
  /** Who holds it, in words: `ingest:api pid 123 on host`, `Lambda cinelake-alice-api-ingestor request ...`. */
  holder: string;
  /** `cli` (a local process, whose pid can be checked on its host) or `lambda`. */
  kind: "cli" | "lambda";
  host: string;
  pid: number;
  /** Random per acquisition: tells our lease from another's even with the same pid and host. */
  token: string;
  startedAt: string;
  renewedAt: string;
  expiresAt: string;
}

/** Thrown when another run holds a live lease: says who and since when, and what to do. */
export class LeaseHeldError extends Error {
  override name = "LeaseHeldError";
  constructor(
    readonly bucket: string,
    readonly held: LeaseDoc,
  ) {
    super(
      `another ApiIngestor run holds the lease s3://${bucket}/${LEASE_KEY}: ${held.holder} since ${held.startedAt} ` +
        `(renewed ${held.renewedAt}, expires ${held.expiresAt}): wait for it to finish, or if it was killed, ` +
        `rerun after ${held.expiresAt}`,
    );
  }
}

/** Raised (as the `lost` signal's reason) when the lease could not be renewed and another run may have taken it. */
export class LeaseLostError extends Error {
  override name = "LeaseLostError";
}

/** How to take a lease. */
export interface LeaseOptions {
  s3: S3Client;
  bucket: string;
  /** Who is asking. */
  kind: LeaseDoc["kind"];
  /** The holder in words (default: `ingest:api pid <pid> on <host>`). */
  holder?: string;
  /** Lifetime without renewal (default 60 s); renewed every quarter of it. */
  ttlMs?: number;
  now?: () => Date;
  log?: (message: string) => void;
  /** Whether a pid runs on this host (default `process.kill(pid, 0)`); only for `cli` holders on this host. */
  isAlive?: (pid: number) => boolean;
  /** Pause before reading the lease back after creating it (default 150 ms; see {@link acquireLease}). */
  settleMs?: number;
}

interface Stored {
  doc: LeaseDoc;
  etag: string;
}

function isAlivePid(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else, so it is alive.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** S3's answers to a conditional write that lost: 412 (the condition failed) or 409 (a concurrent conditional write). */
function lostConditionalWrite(error: unknown): boolean {
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return status === 412 || status === 409;
}

async function readLease(s3: S3Client, bucket: string): Promise<Stored | undefined> {
  try {
    const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: LEASE_KEY }));
    const text = await (response.Body as { transformToString(): Promise<string> }).transformToString();
    let doc: LeaseDoc;
    try {
      doc = JSON.parse(text) as LeaseDoc;
    } catch {
      // Unreadable (written by hand?): treat as a lease that expired at once, so it can be taken over by ETag.
      doc = {
        holder: "an unreadable lease",
        kind: "lambda",
        host: "",
        pid: 0,
        token: "",
        startedAt: "?",
        renewedAt: "?",
        expiresAt: new Date(0).toISOString(),
      };
    }
    return { doc, etag: response.ETag as string };
  } catch (error) {
    if ((error as { name?: string }).name === "NoSuchKey") return undefined;
    throw error;
  }
}

/** A lease this run holds: renewed in the background until {@link Lease.release}. */
export class Lease {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private renewing: Promise<void> = Promise.resolve();
  private released = false;

  /** Aborted (with a {@link LeaseLostError}) when the lease can no longer be trusted to be ours. */
  readonly lost: AbortSignal = this.controller.signal;

  constructor(
    private readonly options: Required<Pick<LeaseOptions, "s3" | "bucket" | "ttlMs" | "now" | "log">>,
    private doc: LeaseDoc,
    private etag: string,
  ) {
    this.timer = setInterval(() => {
      this.renewing = this.renewing.then(() => this.renew());
    }, options.ttlMs / 4);
    // The run's own work keeps the process alive; a forgotten lease must not.
    this.timer.unref();
  }

  /** The lease as stored now. */
  get current(): LeaseDoc {
    return this.doc;
  }

  private async renew(): Promise<void> {
    if (this.released || this.lost.aborted) return;
    const { s3, bucket, ttlMs, now } = this.options;
    const at = now();
    const next: LeaseDoc = {
      ...this.doc,
      renewedAt: at.toISOString(),
      expiresAt: new Date(at.getTime() + ttlMs).toISOString(),
    };
    try {
      const put = await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: LEASE_KEY,
          Body: JSON.stringify(next),
          ContentType: "application/json",
          IfMatch: this.etag,
        }),
      );
      this.doc = next;
      this.etag = put.ETag as string;
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (lostConditionalWrite(error) || status === 404)
        return this.lose(`the lease s3://${bucket}/${LEASE_KEY} was taken or removed by someone else`);
      // A failed renewal is retried at the next tick; only once the lease may have expired is it given up.
      if (now().getTime() >= Date.parse(this.doc.expiresAt) - ttlMs / 8)
        return this.lose(
          `the lease s3://${bucket}/${LEASE_KEY} could not be renewed before it expired (${(error as Error).message})`,
        );
      this.options.log(`lease renewal failed, retrying: ${(error as Error).message}`);
    }
  }

  private lose(message: string): void {
    clearInterval(this.timer);
    this.controller.abort(
      new LeaseLostError(
        `${message}: this run stopped so as not to fetch what another run fetches; rerun when it is done`,
      ),
    );
  }

  /** Stops renewing and deletes the lease if it is still ours (matched by ETag); never throws. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    clearInterval(this.timer);
    await this.renewing;
    if (this.lost.aborted) return;
    const { s3, bucket, log } = this.options;
    try {
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: LEASE_KEY, IfMatch: this.etag }));
    } catch (error) {
      // Not ours any more (412), or S3 failed: either way the lease expires on its own; say so, do not fail the run.
      log(
        lostConditionalWrite(error)
          ? `the lease s3://${bucket}/${LEASE_KEY} was no longer ours: left it in place`
          : `could not delete the lease s3://${bucket}/${LEASE_KEY} (${(error as Error).message}): it expires at ${this.doc.expiresAt}`,
      );
    }
  }
}

/**
 * Takes the lease or throws {@link LeaseHeldError}. Creates it with `If-None-Match: *`, or takes over an expired one
 * (or a dead local process's) with `If-Match` on its ETag; a lost race re-reads and reports the winner. After
 * creating it, reads it back once after a short pause and yields if another run's lease is stored: S3 makes the
 * conditional write atomic, but moto's server checks and writes in two steps, and the read-back keeps the guarantee
 * there too.
 */
export async function acquireLease(options: LeaseOptions): Promise<Lease> {
  const { s3, bucket } = options;
  const now = options.now ?? (() => new Date());
  const log = options.log ?? (() => {});
  const ttlMs = options.ttlMs ?? DEFAULT_LEASE_TTL_MS;
  const isAlive = options.isAlive ?? isAlivePid;
  const host = hostname();
  const started = now();
  const doc: LeaseDoc = {
    holder: options.holder ?? `ingest:api pid ${process.pid} on ${host}`,
    kind: options.kind,
    host,
    pid: process.pid,
    token: randomBytes(12).toString("hex"),
    startedAt: started.toISOString(),
    renewedAt: started.toISOString(),
    expiresAt: new Date(started.getTime() + ttlMs).toISOString(),
  };
  const body = JSON.stringify(doc);
  for (let attempt = 0; attempt < 3; attempt++) {
    const stored = await readLease(s3, bucket);
    let condition: { IfNoneMatch: string } | { IfMatch: string };
    let takeover: string | undefined;
    if (!stored) condition = { IfNoneMatch: "*" };
    else {
      const held = stored.doc;
      const expired = Date.parse(held.expiresAt) <= now().getTime() || Number.isNaN(Date.parse(held.expiresAt));
      const deadHere = held.kind === "cli" && held.host === host && held.pid !== process.pid && !isAlive(held.pid);
      if (!expired && !deadHere) throw new LeaseHeldError(bucket, held);
      condition = { IfMatch: stored.etag };
      takeover = deadHere
        ? `took over the lease of pid ${held.pid} on ${host}, which is no longer running (held since ${held.startedAt})`
        : `took over the expired lease of ${held.holder} (held since ${held.startedAt}, expired ${held.expiresAt})`;
    }
    let etag: string;
    try {
      const put = await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: LEASE_KEY,
          Body: body,
          ContentType: "application/json",
          ...condition,
        }),
      );
      etag = put.ETag as string;
    } catch (error) {
      if (lostConditionalWrite(error)) continue; // Someone else wrote it first: read who.
      throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, options.settleMs ?? 150));
    const check = await readLease(s3, bucket);
    if (check && check.doc.token !== doc.token) throw new LeaseHeldError(bucket, check.doc);
    if (takeover) log(takeover);
    return new Lease({ s3, bucket, ttlMs, now, log }, doc, check?.etag ?? etag);
  }
  const stored = await readLease(s3, bucket);
  if (stored) throw new LeaseHeldError(bucket, stored.doc);
  throw new Error(`could not take the lease s3://${bucket}/${LEASE_KEY} after 3 tries: rerun`);
}

/** Runs `work` holding the lease (passed to it, for its `lost` signal), and releases it however `work` ends. */
export async function withLease<T>(options: LeaseOptions, work: (lease: Lease) => Promise<T>): Promise<T> {
  const lease = await acquireLease(options);
  try {
    return await work(lease);
  } finally {
    await lease.release();
  }
}
