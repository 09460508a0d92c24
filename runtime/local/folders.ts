/**
 * Creating the local runner's folders (`--home`, the sample's folder, the lake folder, logs) without Node's recursive
 * `mkdir`, which never returns for a path under a folder that refuses new entries with ENOENT, such as `/proc/x`
 * (issue 13 #3): each missing folder is created once, from the nearest existing one down, so a refusal is an error
 * naming the path instead of an endless retry.
 */
import { mkdirSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";

/** A folder that cannot be created or used, with the path and what to do in one line. */
export class FolderError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
    this.name = "FolderError";
  }
}

function code(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException)?.code;
}

/**
 * Makes sure `path` is a folder, creating it and its missing parents one by one (bounded: each missing level is
 * tried once). `what` names the folder in the error (e.g. `--home /proc/x`); `fix` is the advice that ends the line.
 */
export function ensureDirectory(path: string, what = path, fix = "choose a folder on a writable disk"): string {
  const absolute = resolve(path);
  const missing: string[] = [];
  for (let current = absolute; ; current = dirname(current)) {
    try {
      if (statSync(current).isDirectory()) break;
      throw new FolderError(absolute, `cannot use ${what}: ${current} is a file, not a folder; ${fix}`);
    } catch (error) {
      if (error instanceof FolderError) throw error;
      if (code(error) !== "ENOENT" && code(error) !== "ENOTDIR")
        throw new FolderError(absolute, `cannot use ${what}: ${current}: ${(error as Error).message}; ${fix}`);
      missing.push(current);
      // The root always exists; a path whose root is missing cannot be created.
      if (dirname(current) === current) break;
    }
  }
  for (const dir of missing.reverse()) {
    try {
      mkdirSync(dir);
    } catch (error) {
      // Another process made it meanwhile (two commands starting at once): that is what we wanted.
      if (code(error) === "EEXIST" && statSync(dir).isDirectory()) continue;
      const parent = dirname(dir);
      const why =
        code(error) === "ENOENT"
          ? `${parent} does not accept new folders (mkdir ${dir}: ENOENT)`
          : `mkdir ${dir}: ${code(error) ?? (error as Error).message}`;
      throw new FolderError(absolute, `cannot create ${what}: ${why}; ${fix}`);
    }
  }
  return absolute;
}
