/**
 * `npm run sample -- OUT_DIR [--titles N] [--seed S] [--scale small|full]`: writes movies.csv and series.csv.
 */
import { exitOnSignals } from "../local/children";
import { ensureDirectory } from "../local/folders";
import { acquireFolderLease } from "../local/lease";
import { UsageError, choiceSetting, exitCodeOf, numberSetting, parseFlags } from "../shared/flags";
import { generateSample, type SampleOptions, type SampleScale } from "./generate";

const USAGE = "usage: npm run sample -- OUT_DIR [--titles N] [--seed S] [--scale small|full]";

/** Parses the command line into generator options; throws a message naming the bad argument. */
export function parseSampleArgs(argv: string[]): SampleOptions {
  const { values, positionals } = parseFlags({
    args: argv,
    allowPositionals: true,
    options: { titles: { type: "string" }, seed: { type: "string" }, scale: { type: "string" } },
  });
  if (positionals.length !== 1) throw new UsageError(USAGE);
  return {
    outDir: positionals[0] as string,
    titles: numberSetting("--titles", values.titles, { example: 1000 }),
    seed: numberSetting("--seed", values.seed, { example: 1 }),
    scale: choiceSetting<SampleScale>("--scale", values.scale, ["small", "full"]),
  };
}

async function main(): Promise<void> {
  const started = Date.now();
  const options = parseSampleArgs(process.argv.slice(2));
  exitOnSignals(
    (signal) => `sample: stopped by ${signal}; the files being written were left as .partial, run it again`,
  );
  // The folder is created here, one level at a time, so a path that cannot hold folders (/proc/x) is refused in one
  // line rather than looping in a recursive mkdir (issue 13 #3); the lease keeps two writers (or a demo whose sample
  // folder this is) from writing the same .partial files at once (#12).
  ensureDirectory(options.outDir, options.outDir, "give another OUT_DIR (a folder on a writable disk)");
  await acquireFolderLease(options.outDir, "npm run sample", options.outDir, "wait for it to end, or write elsewhere");
  const result = await generateSample(options);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`${result.moviesPath}: ${result.movieRows} rows, ${result.movieTitles} titles`);
  console.log(`${result.seriesPath}: ${result.seriesRows} rows, ${result.seriesTitles} titles`);
  console.log(`generated in ${seconds} s`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(`sample: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(exitCodeOf(error));
  });
}
