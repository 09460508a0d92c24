/**
 * Schedule expressions, checked once for every component: the six-field `cron(...)` syntax that Glue triggers and
 * EventBridge rules share, and EventBridge's `rate(...)`. A bad expression fails at construction, before AWS is
 * called, with a ConfigError naming the setting and the fix.
 */
import { ConfigError } from "../lake/errors";

const CRON_FIELDS = [
  { name: "minutes", min: 0, max: 59, names: [] as string[] },
  { name: "hours", min: 0, max: 23, names: [] },
  { name: "day-of-month", min: 1, max: 31, names: [] },
  { name: "month", min: 1, max: 12, names: "JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split(" ") },
  { name: "day-of-week", min: 1, max: 7, names: "SUN MON TUE WED THU FRI SAT".split(" ") },
  { name: "year", min: 1970, max: 2199, names: [] },
];

/** Why one field of a Glue cron expression is wrong, or undefined when it is fine. */
function cronFieldProblem(value: string, index: number): string | undefined {
  const field = CRON_FIELDS[index] as (typeof CRON_FIELDS)[number];
  const number = (text: string): number | undefined => {
    const named = field.names.indexOf(text.toUpperCase());
    if (named >= 0) return named + 1;
    return /^\d+$/.test(text) ? Number(text) : undefined;
  };
  const inRange = (text: string) => {
    const n = number(text);
    return n !== undefined && n >= field.min && n <= field.max;
  };
  if (value === "?") return index === 2 || index === 4 ? undefined : `"?" is only allowed in day-of-month/day-of-week`;
  for (const item of value.split(",")) {
    if (index === 2 && /^(L|LW|\d{1,2}W)$/.test(item)) continue;
    if (index === 4 && (/^[1-7]?L$/.test(item) || /^[1-7]#[1-5]$/.test(item))) continue;
    const [range = "", step, ...rest] = item.split("/");
    if (rest.length || (step !== undefined && !/^\d+$/.test(step))) return `"${item}" has a bad step in ${field.name}`;
    if (range === "*") continue;
    const bounds = range.split("-");
    if (bounds.length > 2 || !bounds.every(inRange))
      return `"${item}" is not a value or range within ${field.min}-${field.max} in ${field.name}`;
  }
  return undefined;
}

/**
 * Checks a cron schedule as Glue triggers and EventBridge rules take it (one syntax for both): `cron(minutes hours day-of-month month day-of-week year)`, with `?` in exactly one of
 * day-of-month and day-of-week (AWS's rule), e.g. `cron(0 6 * * ? *)` for 06:00 UTC every day.
 */
export function checkCron(expression: string, setting: string): string {
  const fix = 'use Glue\'s six-field form with "?" in day-of-month or day-of-week, e.g. "cron(0 6 * * ? *)"';
  const match = /^cron\((.*)\)$/.exec(expression.trim());
  if (!match) throw new ConfigError(setting, `"${expression}" is not of the form cron(...)`, fix);
  const fields = (match[1] as string).trim().split(/\s+/);
  if (fields.length !== 6)
    throw new ConfigError(setting, `"${expression}" has ${fields.length} fields instead of 6`, fix);
  const questionMarks = [fields[2], fields[4]].filter((field) => field === "?").length;
  if (questionMarks !== 1)
    throw new ConfigError(setting, `"${expression}" needs "?" in exactly one of day-of-month and day-of-week`, fix);
  fields.forEach((field, index) => {
    const problem = cronFieldProblem(field, index);
    if (problem) throw new ConfigError(setting, `"${expression}": ${problem}`, fix);
  });
  return expression.trim();
}

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const UNIT_SECONDS: Record<string, number> = { minute: 60, hour: 3600, day: 86400 };

/**
 * Checks an EventBridge schedule expression and returns its interval in seconds (`undefined` for `cron(...)`), so a
 * schedule faster than the Lambda's timeout — which would run slices on top of each other — is refused.
 */
export function scheduleIntervalSeconds(expression: string, setting = "schedule"): number | undefined {
  const fix =
    'use "rate(<n> minutes|hours|days)" (singular for 1, e.g. "rate(1 hour)") or a six-field "cron(...)" such as "cron(0 3 * * ? *)"';
  if (expression.trim().startsWith("cron(")) {
    checkCron(expression, setting);
    return undefined;
  }
  const match = RATE.exec(expression);
  if (!match) throw new ConfigError(setting, `"${expression}" is not an EventBridge schedule expression`, fix);
  const count = Number(match[1]);
  const unit = match[2]!;
  if (count < 1) throw new ConfigError(setting, `"${expression}" has a zero interval`, fix);
  if ((count === 1) !== !unit.endsWith("s"))
    throw new ConfigError(
      setting,
      `"${expression}" must use "${count === 1 ? unit.replace(/s$/, "") : `${unit}s`}"`,
      fix,
    );
  return count * UNIT_SECONDS[unit.replace(/s$/, "")]!;
}
