/**
 * The local runner's log files: what the tools it starts print (Spark, Hadoop, log4j, py4j, s3a, Ivy, Python
 * warnings) goes to `<home>/logs/` instead of the terminal, so the demo and the CLIs show their own stages and results
 * only; `--verbose` shows it live as well. A failure names the file and says in one line what went wrong.
 */
import { createWriteStream } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import type { Readable } from "node:stream";
import { ensureDirectory } from "./folders";

/** The folder of the repository's own logs (`.lake/logs`, ignored by git). */
export const REPO_LOG_DIR = resolve(__dirname, "..", "..", ".lake", "logs");

/** A new log file's path for one run: `<dir>/<name>-<UTC time>.log`. */
export function logFile(dir: string, name: string, now = new Date()): string {
  return join(dir, `${name}-${now.toISOString().replace(/[:.]/g, "-")}.log`);
}

/** A path as short as it can be said: relative to the working directory when inside it. */
export function displayPath(path: string): string {
  const shorter = relative(process.cwd(), path);
  return shorter && !shorter.startsWith("..") ? shorter : path;
}

/** A child's output stream being written to a log file (and to the terminal when verbose). */
export interface LoggedStream {
  /** The last lines written (for the error message of a failed run). */
  tail(): string;
  /** Resolves once everything is on disk. */
  close(): Promise<void>;
}

/** A log file being written to (and copied to the terminal when verbose), keeping its last 64 kB in memory. */
export interface LogSink {
  write(chunk: Buffer | string): void;
  /** The last lines written (for the error message of a failed run). */
  tail(): string;
  /** Resolves once everything written is on disk. */
  close(): Promise<void>;
}

/** Opens `path` for appending (creating its folder); what is written is copied to stderr when `verbose`. */
export function logSink(path: string, verbose = false): LogSink {
  ensureDirectory(dirname(path));
  const file = createWriteStream(path, { flags: "a" });
  let tail = "";
  return {
    write(chunk) {
      file.write(chunk);
      tail = (tail + chunk.toString()).slice(-65_536);
      if (verbose) process.stderr.write(chunk);
    },
    tail: () => tail,
    close: () => new Promise<void>((resolveClose) => file.end(resolveClose)),
  };
}

/**
 * Appends everything `stream` emits to `path` (creating its folder), copies it to stderr when `verbose`, and keeps
 * the last 64 kB in memory.
 */
export function logStream(stream: Readable, path: string, verbose = false): LoggedStream {
  const sink = logSink(path, verbose);
  stream.on("data", (chunk: Buffer) => sink.write(chunk));
  const ended = new Promise<void>((resolveEnd) => {
    stream.once("end", resolveEnd);
    stream.once("close", resolveEnd);
  });
  return {
    tail: sink.tail,
    close: async () => {
      await ended;
      await sink.close();
    },
  };
}

/**
 * The one line saying what went wrong, from the end of a failed Python process's stderr: the job's own last line
 * (`cinelake <job>: ...`, what the entry scripts end a failed run with), else the exception line of the last traceback
 * (the first unindented line after `Traceback (most recent call last):`), else the last line naming an error or
 * exception, else the last line.
 */
export function failureLine(stderr: string): string {
  const lines = stderr.split(/\r?\n/).filter((line) => line.trim() !== "");
  const last = lines.at(-1) ?? "";
  if (/^cinelake [\w.-]+: /.test(last)) return last.trim();
  const traceback = lines.findLastIndex((line) => line.startsWith("Traceback (most recent call last):"));
  if (traceback >= 0) {
    const exception = lines.slice(traceback + 1).find((line) => !/^\s/.test(line));
    if (exception) return exception.trim();
  }
  const named = lines.findLast((line) => /\b(error|exception)\b/i.test(line) && !/^\S+ \S+ (WARN|INFO) /.test(line));
  return (named ?? lines.at(-1) ?? "no output").trim();
}
