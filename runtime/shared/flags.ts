/**
 * The one way the command lines read their flags, so that every CLI refuses a bad one alike: Node's own `parseArgs`,
 * whose errors (an unknown flag, a flag without its value) become a {@link UsageError}, and typed values (whole numbers,
 * numbers, one of a few words) checked here, failing with the lake's one {@link ConfigError}, whose message names the
 * setting, what is wrong and the fix (`--limit: "ten" is not a whole number of 0 or more. Fix: give one, e.g.
 * --limit 100`). The same checks read environment variables: a setting whose name starts with `-` is a flag (the fix
 * says what to give), any other an environment variable (the fix says what to set it to, or to unset it).
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { ConfigError } from "../../lake/errors";

/** The exit code of a run refused before it started: the command line or the configuration must change. */
export const USAGE_EXIT_CODE = 2;

/** A command line that is wrong as a whole: an unknown flag, a missing value, a required flag absent, a stray word. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** 2 ({@link USAGE_EXIT_CODE}) for a usage or configuration error, which rerunning unchanged cannot fix; else 1. */
export function exitCodeOf(error: unknown): number {
  return error instanceof UsageError || error instanceof ConfigError ? USAGE_EXIT_CODE : 1;
}

/**
 * Node's `parseArgs`, with its refusals turned into a {@link UsageError}: Node's first sentence (which names the
 * flag), then `: fix` when a fix is given (e.g. where to see the flags).
 */
export function parseFlags<T extends ParseArgsConfig>(config: T, fix?: string): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code !== "string" || !code.startsWith("ERR_PARSE_ARGS")) throw error;
    // Node adds advice on `--` for values that look like flags; the first sentence is the refusal itself.
    const refusal = (error as Error).message.split(/\.\s/)[0] as string;
    throw new UsageError(fix ? `${refusal}: ${fix}` : refusal);
  }
}

/** What a numeric setting accepts (never a negative number: no setting here takes one). */
export interface NumberRule {
  /** Accept fractions (rates, durations in seconds); default: whole numbers only. */
  fraction?: boolean;
  /** The smallest value accepted (default 0). */
  min?: number;
  /** Refuse `min` itself: a duration or a rate must be more than 0. */
  aboveMin?: boolean;
  /** The largest value accepted. */
  max?: number;
  /** A good value, shown in the fix of a flag (default: the smallest whole number accepted). */
  example?: number;
}

/** Whether `setting` names a command-line flag (`--port`) rather than an environment variable. */
function isFlag(setting: string): boolean {
  return setting.startsWith("-");
}

/** The fix of a refused value: the flag with a good value, or the variable to set to one or unset. */
function fixFor(setting: string, example: string): string {
  return isFlag(setting) ? `give one, e.g. ${setting} ${example}` : `set it to one, or unset it`;
}

/**
 * The value of a numeric flag or variable: undefined when absent, else the number, refused (with a
 * {@link ConfigError} naming the setting, what it accepts and an example) unless it is written as a plain decimal
 * number within the rule. Plain decimals only: `Number()` alone would take `""`, `1e3` and `0x10`.
 */
export function numberSetting(setting: string, raw: string | undefined, rule: NumberRule = {}): number | undefined {
  if (raw === undefined) return undefined;
  const { fraction = false, min = 0, aboveMin = false, max } = rule;
  const value = Number(raw);
  const written = (fraction ? /^\d+(\.\d+)?$/ : /^\d+$/).test(raw);
  if (written && (aboveMin ? value > min : value >= min) && (max === undefined || value <= max)) return value;
  const lower = aboveMin ? `above ${min}` : max === undefined ? `of ${min} or more` : `from ${min}`;
  const what = `${fraction ? "a number" : "a whole number"} ${lower}${max === undefined ? "" : ` to ${max}`}`;
  const example = rule.example ?? (aboveMin ? Math.floor(min) + 1 : Math.max(Math.ceil(min), 1));
  throw new ConfigError(setting, `"${raw}" is not ${what}`, fixFor(setting, String(example)));
}

/** The value of a flag or variable that takes one of a few words: undefined when absent, else one of `choices`. */
export function choiceSetting<T extends string>(
  setting: string,
  raw: string | undefined,
  choices: readonly T[],
): T | undefined {
  if (raw === undefined) return undefined;
  if ((choices as readonly string[]).includes(raw)) return raw as T;
  throw new ConfigError(setting, `"${raw}" is not one of ${choices.join(", ")}`, fixFor(setting, choices[0] as string));
}

/**
 * Runs `read` (a command's reading of its flags) for a command that reads them at load, before anything runs: a
 * usage or configuration error ends the process with one line, `name: message`, and exit code 2; any other error is
 * thrown on.
 */
export function flagsOrExit<T>(name: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (exitCodeOf(error) !== USAGE_EXIT_CODE) throw error;
    console.error(`${name}: ${(error as Error).message}`);
    process.exit(USAGE_EXIT_CODE);
  }
}
