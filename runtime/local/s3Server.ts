/**
 * Starts moto's S3 API server on 127.0.0.1 for tests, the demo and benchmarks: a real server speaking the S3 API,
 * so the runtime code is exercised exactly as against AWS.
 */
import type { ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { spawnOwned, stopOwned } from "./children";

/** A running local S3 API server. */
export interface LocalS3Server {
  /** The endpoint URL, e.g. `http://127.0.0.1:45123`. */
  endpoint: string;
  /** Environment variables that point the AWS SDKs (JS, Python, Hadoop s3a via our runner) at this server. */
  env: Record<string, string>;
  /** Stops the server. */
  stop(): Promise<void>;
}

/** Finds a free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilUp(endpoint: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with code ${child.exitCode} before it was up`);
    try {
      const response = await fetch(`${endpoint}/moto-api/`);
      if (response.status < 500) return;
    } catch {
      // Not listening yet: try again shortly.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`moto_server did not answer at ${endpoint} within ${timeoutMs} ms`);
}

/**
 * Starts `moto_server` (moto[server] from glue/requirements.txt, in .venv) on a free port of 127.0.0.1, or reuses the
 * server named by `CINELAKE_S3_ENDPOINT` when set. Credentials are dummies: moto accepts any.
 */
export async function startS3Server(options: { port?: number; timeoutMs?: number } = {}): Promise<LocalS3Server> {
  const env = (endpoint: string) => ({
    AWS_ENDPOINT_URL_S3: endpoint,
    AWS_ACCESS_KEY_ID: "cinelake-local",
    AWS_SECRET_ACCESS_KEY: "cinelake-local-secret",
    AWS_REGION: "us-east-1",
  });
  const reused = process.env.CINELAKE_S3_ENDPOINT;
  if (reused) return { endpoint: reused, env: env(reused), stop: async () => {} };

  const port = options.port ?? (await freePort());
  const endpoint = `http://127.0.0.1:${port}`;
  // Owned: the server dies with the command that started it, even when that command is SIGKILLed.
  const child = spawnOwned("moto_server", ["-H", "127.0.0.1", "-p", String(port)], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const spawnFailed = new Promise<never>((_, reject) =>
    child.once("error", (error) =>
      reject(
        new Error(
          `could not start moto_server (${error.message}): ` +
            "run node scripts/setup.mjs python (every npm script does), which installs it into .venv",
        ),
      ),
    ),
  );
  try {
    await Promise.race([waitUntilUp(endpoint, child, options.timeoutMs ?? 30_000), spawnFailed]);
  } catch (error) {
    await stopOwned(child, 0);
    throw new Error(`${(error as Error).message}\n${stderr}`);
  }
  return {
    endpoint,
    env: env(endpoint),
    stop: () => stopOwned(child),
  };
}
