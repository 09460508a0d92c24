/**
 * Pure helpers the policies share: reading IAM policy documents as AWS accepts them (strings or arrays, one statement
 * or many), and telling whether a name or value looks like a secret. They take plain data and return findings, so the
 * tests exercise them without a stack, and so they never need `@pulumi/aws` (which would make the pack slow to load).
 */

/**
 * One IAM statement as found in a resource's input: loosely typed on purpose, because a policy has to read documents
 * that are wrong (the typed builders of components/policy.ts only produce correct ones).
 */
export interface IamStatement {
  /** The statement id, when given. */
  Sid?: unknown;
  /** `Allow` or `Deny`. */
  Effect?: unknown;
  /** Who (resource policies only). */
  Principal?: unknown;
  /** The actions granted or denied. */
  Action?: unknown;
  /** Everything except these actions (a wildcard in disguise when allowed). */
  NotAction?: unknown;
  /** The resources. */
  Resource?: unknown;
  /** Everything except these resources. */
  NotResource?: unknown;
  /** Conditions. */
  Condition?: unknown;
}

/** A parsed IAM document, or why it could not be read. */
export type ParsedDocument = { statements: IamStatement[] } | { error: string };

/** A value AWS accepts as "a string or a list of strings", as a list (anything else is dropped). */
export function stringList(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === "string");
  return [];
}

/** Parses an IAM policy document given as JSON text or as an object. */
export function parseDocument(document: unknown): ParsedDocument {
  let parsed: unknown = document;
  if (typeof document === "string") {
    try {
      parsed = JSON.parse(document);
    } catch (error) {
      return { error: `is not valid JSON (${(error as Error).message})` };
    }
  }
  if (typeof parsed !== "object" || parsed === null) return { error: "is not a JSON object" };
  const statement = (parsed as { Statement?: unknown }).Statement;
  if (statement === undefined) return { statements: [] };
  const list = Array.isArray(statement) ? statement : [statement];
  return { statements: list.filter((item): item is IamStatement => typeof item === "object" && item !== null) };
}

/** A short label for a statement in messages: its Sid, or its position. */
export function statementLabel(statement: IamStatement, index: number): string {
  return typeof statement.Sid === "string" && statement.Sid !== ""
    ? `statement "${statement.Sid}"`
    : `statement #${index + 1}`;
}

/** True for an Allow statement (IAM treats a missing or odd Effect as invalid; we treat anything but Deny as Allow). */
export function isAllow(statement: IamStatement): boolean {
  return statement.Effect !== "Deny";
}

/** `arn:<partition>:s3:::<bucket>[/<key>]` split into bucket and key; undefined for other ARNs. */
export function s3Arn(resource: string): { bucket: string; key?: string } | undefined {
  const match = /^arn:aws[a-z-]*:s3:::([^/]*)(?:\/(.*))?$/.exec(resource);
  if (!match) return undefined;
  return match[2] === undefined ? { bucket: match[1]! } : { bucket: match[1]!, key: match[2] };
}

/** True for any S3 ARN, including access points and other regional S3 resources (`arn:aws:s3:<region>:...`). */
export function isS3Resource(resource: string): boolean {
  return /^arn:aws[a-z-]*:s3:/.test(resource);
}

// ------------------------------------------------------------------------------------------------------------------
// Secrets
// ------------------------------------------------------------------------------------------------------------------

/** Words that make a variable or output name a secret's name (after splitting `tmdbToken` into TMDB, TOKEN). */
const SECRET_WORDS = new Set([
  "TOKEN",
  "SECRET",
  "PASSWORD",
  "PASSWD",
  "PASSPHRASE",
  "PWD",
  "CREDENTIAL",
  "CREDENTIALS",
]);
/** `<word>_KEY` pairs that name a key (a bare KEY is usually an S3 object key, so it is not enough). */
const KEY_QUALIFIERS = new Set(["API", "ACCESS", "PRIVATE", "SIGNING", "ENCRYPTION", "MASTER", "CLIENT", "SESSION"]);
/**
 * Last words that make a secret-sounding name a pointer to a secret (`TMDB_SECRET_ID` holds the secret's ARN), not
 * the secret; their values are still checked for secret shapes.
 */
const REFERENCE_WORDS = new Set(["ID", "ARN", "NAME", "URL", "URI", "PATH", "FILE", "REGION", "HEADER", "PARAMETER"]);

/** `tmdbToken`, `tmdb-token`, `TMDB_TOKEN` → `["TMDB", "TOKEN"]`. */
export function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2")
    .toUpperCase()
    .split(/[^A-Z0-9]+/)
    .filter((word) => word !== "");
}

/** Why a name reads like a secret's (`"its name says TOKEN"`), or undefined. */
export function secretName(name: string): string | undefined {
  const words = nameWords(name);
  if (words.length === 0 || REFERENCE_WORDS.has(words[words.length - 1]!)) return undefined;
  for (const [index, word] of words.entries()) {
    if (SECRET_WORDS.has(word)) return `its name says ${word}`;
    if (word === "APIKEY") return "its name says APIKEY";
    if (word === "KEY" && index > 0 && KEY_QUALIFIERS.has(words[index - 1]!))
      return `its name says ${words[index - 1]}_KEY`;
  }
  return undefined;
}

/** Shannon entropy of a string, in bits per character. */
export function entropyBits(value: string): number {
  const counts = new Map<string, number>();
  for (const char of value) counts.set(char, (counts.get(char) ?? 0) + 1);
  let bits = 0;
  for (const count of counts.values()) {
    const p = count / value.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/** Values that point at something (ARNs, URLs without credentials, absolute paths) rather than holding a secret. */
function isReferenceValue(value: string): boolean {
  return /^arn:aws[a-z-]*:/.test(value) || /^[a-z][a-z0-9+.-]*:\/\/[^@\s]*$/i.test(value) || value.startsWith("/");
}

/**
 * Why a value looks like a secret whatever its name (`"it is shaped like a JWT"`), or undefined. The shapes: JWTs,
 * AWS access key ids, PEM private keys, well-known token prefixes, credentials inside a URL, long hex strings, and
 * long strings mixing upper case, lower case and digits with high entropy (an AWS secret access key, a random token).
 */
export function secretValue(value: string): string | undefined {
  if (/^eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}/.test(value)) return "it is shaped like a JWT";
  if (/^(AKIA|ASIA)[A-Z0-9]{16}$/.test(value)) return "it is shaped like an AWS access key id";
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(value)) return "it holds a PEM private key";
  if (
    /^(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|xox[abprs]-[A-Za-z0-9-]{10,}|glpat-[A-Za-z0-9_-]{20,})/.test(
      value,
    )
  )
    return "it starts like a well-known access token";
  if (/^[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i.test(value)) return "it is a URL with a password in it";
  if (isReferenceValue(value) || /\s/.test(value)) return undefined;
  if (/^[0-9a-fA-F]{32,}$/.test(value)) return `it is a ${value.length}-character hex string, like an API key`;
  if (looksRandom(value)) {
    const bits = entropyBits(value);
    return `it is a ${value.length}-character random-looking string (${bits.toFixed(1)} bits/char)`;
  }
  return undefined;
}

/**
 * True for a long string of a token alphabet (base64, base64url) that mixes cases and digits the way random strings
 * do: digits inside letter runs and lower-to-upper switches, at high entropy. Paths and names (`Raw/Local/CSV/2022/...`,
 * `cinelake-dev-123456789012-lake`) have the characters but not the mixing.
 */
export function looksRandom(value: string): boolean {
  if (value.length < 24 || !/^[A-Za-z0-9+/=_-]+$/.test(value)) return false;
  if (!/[a-z]/.test(value) || !/[A-Z]/.test(value) || !/[0-9]/.test(value)) return false;
  let letterDigitSwitches = 0;
  let lowerUpperSwitches = 0;
  for (let i = 1; i < value.length; i++) {
    const [before, after] = [value[i - 1]!, value[i]!];
    if ((/[A-Za-z]/.test(before) && /[0-9]/.test(after)) || (/[0-9]/.test(before) && /[A-Za-z]/.test(after)))
      letterDigitSwitches += 1;
    if (/[a-z]/.test(before) && /[A-Z]/.test(after)) lowerUpperSwitches += 1;
  }
  return letterDigitSwitches >= 2 && lowerUpperSwitches >= 2 && entropyBits(value) >= 4;
}

/**
 * Why a named value (a Lambda variable, a stack output) looks like a secret, or undefined. A secret-sounding name is
 * forgiven when its value is an ARN (a pointer to Secrets Manager, SSM or KMS) or empty; a secret-shaped value is
 * never forgiven. The reason never contains the value itself, so messages are safe to print.
 */
export function secretReason(name: string, value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const byValue = secretValue(value);
  if (byValue) return byValue;
  if (value === "" || /^arn:aws[a-z-]*:/.test(value)) return undefined;
  return secretName(name);
}
