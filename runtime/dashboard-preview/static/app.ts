/**
 * The preview page's script (bundled by the server with esbuild): fetches one payload per filter selection and draws
 * it. All the logic (queries, findings, chart options) lives on the server; this only puts JSON on the screen.
 */
import type { PreviewPayload, VisualPayload } from "../data";

/** The ECharts global loaded from /vendor/echarts.min.js. */
declare const echarts: typeof import("echarts");

/** Marks set for tests and the benchmark: when the page last finished drawing, and for which query string. */
declare global {
  interface Window {
    __cinelake?: { renderedAt: number; search: string; renders: number };
  }
}

const byId = (id: string) => document.getElementById(id) as HTMLElement;
const charts: { dispose: () => void }[] = [];

/** Creates an element with text. */
function el(tag: string, text?: string, className?: string): HTMLElement {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

/** Formats a table cell like the server formats tiles. */
function cell(value: unknown, format: string | undefined): string {
  if (typeof value !== "number") return value === null || value === undefined ? "–" : String(value);
  if (format === "integer") return Math.round(value).toLocaleString("en-US");
  if (format === "decimal" || format === "ratio") return value.toFixed(2);
  if (format === "percent") return `${(value * 100).toFixed(1)}%`;
  return String(value);
}

/** Draws the filter controls (kept in the URL so a view can be shared and reloaded). */
function drawFilters(payload: PreviewPayload): void {
  const box = byId("filters");
  box.replaceChildren();
  for (const filter of payload.filters) {
    const label = el("label", filter.label);
    const select = document.createElement("select");
    select.name = filter.column;
    select.append(new Option("All", ""));
    for (const option of filter.options) select.append(new Option(String(option), String(option)));
    select.value = filter.selected === null ? "" : String(filter.selected);
    select.addEventListener("change", () => {
      const search = new URLSearchParams(location.search);
      if (select.value) search.set(filter.column, select.value);
      else search.delete(filter.column);
      history.replaceState(null, "", `?${search.toString()}`);
      void refresh();
    });
    label.append(select);
    box.append(label);
  }
}

/** Draws one visual's card: title, what it shows, the finding, then the chart or table. */
function drawVisual(visual: VisualPayload): HTMLElement {
  const card = el("section", undefined, "visual");
  card.id = `visual-${visual.id}`;
  card.dataset.chart = visual.chart;
  card.dataset.rows = String(visual.rows.length);
  card.append(el("h3", visual.title), el("p", visual.shows, "shows"));
  card.append(el("p", visual.finding ?? "", "finding"));
  if (visual.rows.length === 0) {
    card.append(el("div", "No data for this selection.", "empty"));
    return card;
  }
  if (visual.chart === "table") {
    const table = document.createElement("table");
    const head = table.createTHead().insertRow();
    for (const column of visual.columns) head.append(el("th", column.label, column.format ? "num" : undefined));
    const body = table.createTBody();
    for (const row of visual.rows) {
      const tr = body.insertRow();
      for (const column of visual.columns)
        tr.append(el("td", cell(row[column.key], column.format), column.format ? "num" : undefined));
    }
    card.append(table);
    return card;
  }
  const holder = el("div", undefined, "chart");
  card.append(holder);
  // The chart is created after the card is in the document, so ECharts can measure its size.
  queueMicrotask(() => {
    const chart = echarts.init(holder, undefined, { renderer: "canvas" });
    chart.setOption(visual.option as Parameters<typeof chart.setOption>[0]);
    charts.push(chart);
  });
  return card;
}

/** Draws a whole payload. */
function draw(payload: PreviewPayload): void {
  byId("title").textContent = payload.title;
  byId("lead").textContent = payload.lead;
  document.body.dataset.status = payload.status;
  const message = byId("message");
  message.style.display = payload.message ? "block" : "none";
  if (payload.message) {
    message.querySelector("h2")!.textContent = payload.message.title;
    message.querySelector("p")!.textContent = payload.message.detail;
    message.querySelector("code")!.textContent = payload.message.command;
  }
  drawFilters(payload);
  charts.splice(0).forEach((chart) => chart.dispose());
  const kpis = byId("kpis");
  kpis.replaceChildren(
    ...payload.kpis.map((kpi) => {
      const tile = el("div", undefined, "kpi");
      tile.id = `kpi-${kpi.id}`;
      tile.dataset.value = kpi.value === null ? "" : String(kpi.value);
      tile.append(el("div", kpi.display, "value"), el("div", kpi.label, "label"));
      return tile;
    }),
  );
  // An empty selection shows the message and no empty charts.
  byId("visuals").replaceChildren(...(payload.status === "ok" ? payload.visuals.map(drawVisual) : []));
}

/** Fetches the payload for the URL's selection and draws it. */
async function refresh(): Promise<void> {
  document.body.dataset.state = "loading";
  const search = location.search;
  const response = await fetch(`/api/data${search}`);
  const payload = (await response.json()) as PreviewPayload | { error: string };
  if ("error" in payload) {
    const message = byId("message");
    message.style.display = "block";
    message.querySelector("h2")!.textContent = "This selection cannot be shown";
    message.querySelector("p")!.textContent = payload.error;
    message.querySelector("code")!.textContent = "npm run dashboard";
    document.body.dataset.status = "error";
  } else {
    draw(payload);
  }
  // Wait for the queued chart creations, then a frame, so "rendered" means pixels are on the canvas.
  await new Promise((resolve) => setTimeout(resolve, 0));
  await new Promise((resolve) => requestAnimationFrame(resolve));
  const previous = window.__cinelake?.renders ?? 0;
  window.__cinelake = { renderedAt: performance.now(), search, renders: previous + 1 };
  document.body.dataset.state = "ready";
}

window.addEventListener("resize", () =>
  charts.forEach((chart) => (chart as unknown as { resize: () => void }).resize()),
);
void refresh();
