/**
 * Preloaded (NODE_OPTIONS `--import`, with `--no-warnings`) into the Node processes the npm scripts start: Node's
 * process warnings — deprecations, a dependency's version notice — are appended to .lake/logs/node-warnings.log
 * instead of interleaving with the command's own output. `--verbose` leaves them on the terminal instead.
 */
import { appendFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const LOG = join(dirname(fileURLToPath(import.meta.url)), "..", ".lake", "logs", "node-warnings.log");

process.on("warning", (warning) => {
  try {
    mkdirSync(dirname(LOG), { recursive: true });
    const command = process.argv.slice(1).join(" ");
    appendFileSync(LOG, `${new Date().toISOString()} ${command}\n${warning.stack ?? String(warning)}\n\n`);
  } catch {
    // A warning that cannot be logged is not worth failing the command for.
  }
});
