/**
 * `npm run tmdb-standin -- (--data DIR | --bucket B [--date D]) [--port P] [--rate 40] [--max-connections 20]
 * [--latency-ms 200] [--fault-rate 0.05] [--faults 5xx,timeout,malformed,reset,429] [--pad-bytes N]`:
 * serves TMDB's contract for the titles of movies.csv and series.csv (a folder, or the lake's Raw CSVs).
 * The token is `TMDB_TOKEN` from the environment, or a random one printed at start.
 */
import { UsageError, choiceSetting, exitCodeOf, numberSetting, parseFlags } from "../shared/flags";
import { makeS3Client } from "../shared/s3Client";
import { catalogFromBucket, catalogFromDir } from "./catalog";
import { FAULT_KINDS, startTmdbStandin, type FaultKind } from "./server";

async function main(): Promise<void> {
  const { values } = parseFlags({
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
  if (!values.data === !values.bucket) throw new UsageError("give exactly one of --data DIR or --bucket B");
  const faults = values.faults
    ?.split(",")
    .map((fault) => choiceSetting("--faults", fault.trim(), FAULT_KINDS) as FaultKind);
  // Read before serving, so a bad value is refused before anything starts.
  const limits = {
    port: numberSetting("--port", values.port, { max: 65535, example: 8080 }),
    rate: numberSetting("--rate", values.rate, { fraction: true, example: 40 }),
    maxConnections: numberSetting("--max-connections", values["max-connections"], { example: 20 }),
    latencyMs: numberSetting("--latency-ms", values["latency-ms"], { fraction: true, example: 200 }),
    faultRate: numberSetting("--fault-rate", values["fault-rate"], { fraction: true, max: 1, example: 0.05 }),
    padBytes: numberSetting("--pad-bytes", values["pad-bytes"], { example: 1000 }),
  };
  const catalog = values.data
    ? await catalogFromDir(values.data)
    : await catalogFromBucket(makeS3Client(), values.bucket as string, values.date);
  const given = process.env.TMDB_TOKEN;
  const standin = await startTmdbStandin({
    catalog,
    token: given || undefined,
    ...limits,
    faults,
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
  process.exit(exitCodeOf(error));
});
