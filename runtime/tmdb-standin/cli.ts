/**
 * `npm run tmdb-standin -- (--data DIR | --bucket B [--date D]) [--port P] [--rate 40] [--max-connections 20]
 * [--latency-ms 200] [--fault-rate 0.05] [--faults 5xx,timeout,malformed,reset,429] [--pad-bytes N]`:
 * serves TMDB's contract for the titles of movies.csv and series.csv (a folder, or the lake's Raw CSVs).
 * The token is `TMDB_TOKEN` from the environment, or a random one printed at start.
 */
import { parseArgs } from "node:util";
import { makeS3Client } from "../shared/s3Client";
import { catalogFromBucket, catalogFromDir } from "./catalog";
import { FAULT_KINDS, startTmdbStandin, type FaultKind } from "./server";

function num(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0) throw new Error(`--${flag} "${value}" is not a non-negative number`);
  return parsed;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      data: { type: "string" },
      bucket: { type: "string" },
      date: { type: "string" },
      port: { type: "string" },
      rate: { type: "string" },
      "max-connections": { type: "string" },
      "latency-ms": { type: "string" },
      "fault-rate": { type: "string" },
      faults: { type: "string" },
      "pad-bytes": { type: "string" },
    },
  });
  if (!values.data === !values.bucket) throw new Error("give exactly one of --data DIR or --bucket B");
  const faults = values.faults?.split(",").map((fault) => fault.trim()) as FaultKind[] | undefined;
  for (const fault of faults ?? [])
    if (!(FAULT_KINDS as readonly string[]).includes(fault))
      throw new Error(`--faults: "${fault}" is not one of ${FAULT_KINDS.join(", ")}`);
  const catalog = values.data
    ? await catalogFromDir(values.data)
    : await catalogFromBucket(makeS3Client(), values.bucket as string, values.date);
  const given = process.env.TMDB_TOKEN;
  const standin = await startTmdbStandin({
    catalog,
    token: given || undefined,
    port: num(values.port, "port"),
    rate: num(values.rate, "rate"),
    maxConnections: num(values["max-connections"], "max-connections"),
    latencyMs: num(values["latency-ms"], "latency-ms"),
    faultRate: num(values["fault-rate"], "fault-rate"),
    faults,
    padBytes: num(values["pad-bytes"], "pad-bytes"),
  });
  console.log(`TMDB stand-in serving ${catalog.size} titles (${catalog.rejectedRows} CSV rows refused)`);
  console.log(`export TMDB_BASE_URL=${standin.baseUrl}`);
  // A throwaway local token, printed only when we made it up; a token from the environment is never echoed.
  console.log(given ? "token: the TMDB_TOKEN of this shell" : `export TMDB_TOKEN=${standin.token}`);
  const shutdown = () => void standin.stop().then(() => process.exit(0));
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
}

main().catch((error: Error) => {
  console.error(`tmdb-standin failed: ${error.message}`);
  process.exit(1);
});
