/**
 * `npm run sample -- OUT_DIR [--titles N] [--seed S] [--scale small|full]`: writes movies.csv and series.csv.
 */
import { parseArgs } from "node:util";
import { generateSample, type SampleOptions, type SampleScale } from "./generate";

/** Parses the command line into generator options; throws a message naming the bad argument. */
export function parseSampleArgs(argv: string[]): SampleOptions {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { titles: { type: "string" }, seed: { type: "string" }, scale: { type: "string" } },
  });
  if (positionals.length !== 1)
    throw new Error("usage: npm run sample -- OUT_DIR [--titles N] [--seed S] [--scale small|full]");
  const integer = (name: string, value: string | undefined): number | undefined => {
    if (value === undefined) return undefined;
    if (!/^\d+$/.test(value)) throw new Error(`--${name} must be a non-negative integer, got "${value}"`);
    return Number(value);
  };
  const scale = values.scale;
  if (scale !== undefined && scale !== "small" && scale !== "full")
    throw new Error(`--scale must be "small" or "full", got "${scale}"`);
  return {
    outDir: positionals[0] as string,
    titles: integer("titles", values.titles),
    seed: integer("seed", values.seed),
    scale: scale as SampleScale | undefined,
  };
}

async function main(): Promise<void> {
  const started = Date.now();
  const result = await generateSample(parseSampleArgs(process.argv.slice(2)));
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`${result.moviesPath}: ${result.movieRows} rows, ${result.movieTitles} titles`);
  console.log(`${result.seriesPath}: ${result.seriesRows} rows, ${result.seriesTitles} titles`);
  console.log(`generated in ${seconds} s`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(`sample: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
