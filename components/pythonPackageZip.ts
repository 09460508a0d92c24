/**
 * Builds the zip that ships a Python package to Glue (`--extra-py-files`): the package folder at the zip's root
 * (`cinelake/__init__.py`, `cinelake/refined/job.py`, `cinelake/registry.json`, ...) so Python's zipimport finds it,
 * subpackages and data files included, bytecode caches and hidden files left out. The bytes are deterministic (sorted
 * entries, fixed timestamps), so an unchanged package never shows up as a diff in `pulumi preview`.
 *
 * Why not `pulumi.asset.AssetArchive`/`FileArchive` as the S3 object's `source`: pulumi-aws maps `BucketObjectv2.source`
 * as a file asset (the Terraform bridge's `FileAsset` translation, without an archive format), so the engine never
 * writes a zip for it: the provider refuses an archive there instead of zipping it, whatever the key's extension.
 * Only archive-typed inputs (a Lambda's `code`) get Pulumi's zip. Hence this writer, a page of code on Node's own
 * deflate and CRC-32 (`zlib.crc32`).
 */
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, relative, sep } from "node:path";
import { crc32, deflateRawSync } from "node:zlib";

/** One file to put in a zip: its path inside the archive (with `/`) and its bytes. */
export interface ZipEntry {
  /** Path inside the archive, e.g. `cinelake/__init__.py`. */
  path: string;
  /** The file's content. */
  data: Buffer;
}

// MS-DOS date of 1980-01-01 and time 00:00: the earliest a zip can record, used for every entry so bytes never drift.
const DOS_DATE = (1 << 5) | 1;
const DOS_TIME = 0;
// Bit 11: file names are UTF-8.
const UTF8_FLAG = 0x0800;

/**
 * Writes the fields a local file header and a central directory record share, in the same order in both (from
 * "version needed" to the name's length), at `at`: version 2.0, UTF-8 names, deflate, the fixed date, CRC and sizes.
 */
function writeEntryFields(
  header: Buffer,
  at: number,
  fields: { crc: number; compressedSize: number; size: number; nameLength: number },
): void {
  header.writeUInt16LE(20, at);
  header.writeUInt16LE(UTF8_FLAG, at + 2);
  header.writeUInt16LE(8, at + 4);
  header.writeUInt16LE(DOS_TIME, at + 6);
  header.writeUInt16LE(DOS_DATE, at + 8);
  header.writeUInt32LE(fields.crc, at + 10);
  header.writeUInt32LE(fields.compressedSize, at + 14);
  header.writeUInt32LE(fields.size, at + 18);
  header.writeUInt16LE(fields.nameLength, at + 22);
}

/** A deflated zip archive of the entries, in the order given (no zip64: the package is a few kilobytes). */
export function zipEntries(entries: readonly ZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.path, "utf8");
    const compressed = deflateRawSync(entry.data, { level: 9 });
    const crc = crc32(entry.data);
    const fields = { crc, compressedSize: compressed.length, size: entry.data.length, nameLength: name.length };
    // Local file header: signature, the shared fields, no extra field (the buffer starts zeroed).
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    writeEntryFields(local, 4, fields);
    // Central directory record: signature, "version made by" 2.0, the shared fields, the local header's offset.
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    writeEntryFields(central, 6, fields);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, compressed);
    centrals.push(central, name);
    offset += local.length + name.length + compressed.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** Whether a file belongs in the shipped package: no bytecode caches, no hidden files. */
function shipped(name: string): boolean {
  return !name.startsWith(".") && name !== "__pycache__" && !name.endsWith(".pyc");
}

/** The files of a package folder as zip entries under `<folder name>/`, sorted by path. */
export function packageEntries(packageDir: string): ZipEntry[] {
  const root = basename(packageDir);
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true })
      .filter((item) => shipped(item.name))
      .flatMap((item) => (item.isDirectory() ? walk(join(dir, item.name)) : [join(dir, item.name)]));
  return walk(packageDir)
    .map((file) => ({ path: `${root}/${relative(packageDir, file).split(sep).join("/")}`, data: readFileSync(file) }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * Zips a Python package folder and writes it to a content-addressed file in the temp folder (written once, atomically),
 * returning its path for a `pulumi.asset.FileAsset`.
 */
export function writePackageZip(packageDir: string, outDir = join(tmpdir(), "cinelake-glue")): string {
  const entries = packageEntries(packageDir);
  if (!entries.some((entry) => entry.path === `${basename(packageDir)}/__init__.py`))
    throw new Error(`${packageDir} has no __init__.py: it is not a Python package`);
  const zip = zipEntries(entries);
  const digest = createHash("sha256").update(zip).digest("hex").slice(0, 16);
  const target = join(outDir, `${basename(packageDir)}-${digest}.zip`);
  if (!existsSync(target)) {
    mkdirSync(outDir, { recursive: true });
    const partial = `${target}.${process.pid}.partial`;
    writeFileSync(partial, zip);
    renameSync(partial, target);
  }
  return target;
}
