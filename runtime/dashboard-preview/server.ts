/**
 * The local preview's HTTP server on 127.0.0.1: the page, its script (bundled from static/app.ts with esbuild at
 * start), ECharts straight from node_modules (no CDN), and `/api/data`, which answers one payload per filter selection.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { build } from "esbuild";
import { CatalogProblem, PreviewData, type PreviewPayload } from "./data";
import type { Selection } from "./queries";
import { DASHBOARD } from "../../lake/visuals";

/** Options of the preview server. */
export interface DashboardPreviewOptions {
  /** Path of the local DuckDB catalog (it may not exist yet: the page then says how to build it). */
  catalog: string;
  /** TCP port on 127.0.0.1; 0 (the default) picks a free one. */
  port?: number;
}

/** A running preview. */
export interface DashboardPreview {
  /** The page's URL. */
  url: string;
  /** Milliseconds spent loading the catalog at start (undefined when it could not be loaded). */
  loadMs: number | undefined;
  /** Stops the server and closes the catalog. */
  stop: () => Promise<void>;
}

const STATIC_DIR = join(__dirname, "static");

/** Reads the selection from the query string; throws a user-facing message for a malformed decade. */
export function parseSelection(search: URLSearchParams): Selection {
  const text = (key: string) => {
    const value = search.get(key)?.trim();
    return value ? value.slice(0, 200) : undefined;
  };
  const decadeText = text("decade");
  if (decadeText !== undefined && !/^\d{4}$/.test(decadeText))
    throw new RangeError(`decade must be a four-digit year such as 1990, not "${decadeText}"`);
  return {
    kind: text("kind"),
    genre: text("genre"),
    decade: decadeText === undefined ? undefined : Number(decadeText),
  };
}

/** The payload shown when the catalog cannot be used: the message, no numbers. */
function problemPayload(problem: CatalogProblem): PreviewPayload {
  return {
    status: problem.status,
    message: problem.friendly,
    title: DASHBOARD.title,
    lead: DASHBOARD.lead,
    filters: [],
    kpis: [],
    visuals: [],
    queryMs: 0,
  };
}

/** Starts the preview; resolves once it listens. */
export async function startDashboardPreview(options: DashboardPreviewOptions): Promise<DashboardPreview> {
  const script = await build({
    entryPoints: [join(STATIC_DIR, "app.ts")],
    bundle: true,
    write: false,
    format: "iife",
    target: "es2022",
    logLevel: "silent",
  });
  const appJs = script.outputFiles[0]?.text ?? "";
  const indexHtml = readFileSync(join(STATIC_DIR, "index.html"), "utf8");
  const echartsJs = readFileSync(require.resolve("echarts/dist/echarts.min.js"));

  // The catalog is opened at start and, while it is unusable, again on each request: a student who runs the build
  // command in another terminal only has to reload the page.
  let data: PreviewData | undefined;
  let opening: Promise<PreviewData> | undefined;
  const load = async (): Promise<PreviewData> => {
    if (data) return data;
    opening ??= PreviewData.open(options.catalog).finally(() => (opening = undefined));
    data = await opening;
    return data;
  };
  let loadMs: number | undefined;
  try {
    loadMs = (await load()).loadMs;
  } catch (error) {
    if (!(error instanceof CatalogProblem)) throw error;
  }

  const send = (res: ServerResponse, status: number, type: string, body: string | Buffer) => {
    res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
    res.end(body);
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (req.method !== "GET") return send(res, 405, "text/plain", "only GET");
    if (url.pathname === "/") return send(res, 200, "text/html; charset=utf-8", indexHtml);
    if (url.pathname === "/app.js") return send(res, 200, "text/javascript; charset=utf-8", appJs);
    if (url.pathname === "/vendor/echarts.min.js") return send(res, 200, "text/javascript; charset=utf-8", echartsJs);
    if (url.pathname !== "/api/data") return send(res, 404, "text/plain", "not found");
    let selection: Selection;
    try {
      selection = parseSelection(url.searchParams);
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      return send(res, 400, "application/json", JSON.stringify({ error: error.message }));
    }
    let payload: PreviewPayload;
    try {
      payload = await (await load()).payload(selection);
    } catch (error) {
      if (!(error instanceof CatalogProblem)) throw error;
      payload = problemPayload(error);
    }
    send(res, 200, "application/json", JSON.stringify(payload));
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((error: Error) => {
      // An unexpected failure: the detail goes to the terminal, the page gets a short message.
      console.error(`dashboard preview: ${req.url}: ${error.stack ?? error.message}`);
      if (!res.headersSent)
        send(res, 500, "application/json", JSON.stringify({ error: "internal error, see the terminal" }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    loadMs,
    stop: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections(); // keep-alive browser connections would otherwise hold close() open
      await closed;
      data?.close();
    },
  };
}
