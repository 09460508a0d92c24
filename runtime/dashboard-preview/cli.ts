/**
 * `npm run dashboard -- [--port P] [--catalog FILE]`: serves the local dashboard preview on 127.0.0.1 over the local
 * DuckDB catalog until Ctrl-C.
 */
import { resolve } from "node:path";
import { exitCodeOf, numberSetting, parseFlags } from "../shared/flags";
import { startDashboardPreview } from "./server";

/** Where the preview looks for the catalog when --catalog is not given (overridable with CINELAKE_CATALOG). */
export const DEFAULT_CATALOG = process.env.CINELAKE_CATALOG ?? ".lake/catalog.duckdb";

const USAGE = "usage: npm run dashboard -- [--port P] [--catalog FILE]";

async function main(): Promise<void> {
  let values: { port?: string; catalog?: string; help?: boolean };
  let port: number;
  try {
    ({ values } = parseFlags({
      options: { port: { type: "string" }, catalog: { type: "string" }, help: { type: "boolean", short: "h" } },
    }));
    if (values.help) {
      console.log(USAGE);
      return;
    }
    // 0 asks the system for a free port.
    port = numberSetting("--port", values.port, { max: 65535, example: 8080 }) ?? 8080;
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    process.exit(exitCodeOf(error));
  }
  const catalog = resolve(values.catalog ?? DEFAULT_CATALOG);
  let preview;
  try {
    preview = await startDashboardPreview({ catalog, port });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE") throw error;
    console.error(`port ${port} is already in use: choose another one with --port (0 picks a free port)`);
    process.exit(1);
  }
  console.log(`dashboard preview: ${preview.url}  (catalog ${catalog})`);
  if (preview.loadMs === undefined)
    console.log("the catalog is not usable yet: the page says what to run; reload it once the catalog is built");
  else console.log(`catalog loaded in ${Math.round(preview.loadMs)} ms`);
  const stop = () => void preview.stop().then(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

void main();
