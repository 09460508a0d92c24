/**
 * `npm run diagram`: draws the Refined star schema's entity-relationship diagram from the table registry as a
 * self-contained SVG (docs/data-model.svg). Deterministic (same registry, same bytes), so a test can regenerate it and
 * fail when the committed image no longer matches the registry. No Graphviz needed: the layout is a fixed set of
 * columns (dimensions only bridges use | bridges | dimensions the fact uses | facts).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { TABLES, type TableDef } from "../../lake/tables";

/** Where the diagram is written, relative to the repository root. */
export const DIAGRAM_PATH = join("docs", "data-model.svg");

const FONT = 12;
const CHAR = 7.3; // Width of one monospace character at 12px, generous so no text overflows its box.
const ROW = 18;
const HEADER = 24;
const PAD = 8;
const GAP_X = 90;
const GAP_Y = 28;
const MARGIN = 20;

/** A table placed on the canvas. */
export interface Box {
  table: TableDef;
  x: number;
  y: number;
  width: number;
  height: number;
}

const escapeXml = (text: string): string =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

const fmt = (value: number): string => String(Math.round(value * 10) / 10);

function columnLabel(table: TableDef, column: { name: string; type: string }): string {
  const marks = [
    table.primaryKey.includes(column.name) ? "PK" : "",
    table.foreignKeys.some((fk) => fk.columns.includes(column.name)) ? "FK" : "",
  ].filter(Boolean);
  return `${marks.join(",").padEnd(5)} ${column.name}  ${column.type}`;
}

/** Which layout column a table goes to: 0 dims only bridges use, 1 bridges, 2 dims the facts use, 3 facts. */
export function layer(table: TableDef, tables: readonly TableDef[]): number {
  if (table.name.startsWith("fact_")) return 3;
  if (table.name.startsWith("bridge_")) return 1;
  const usedByFact = tables.some(
    (other) => other.name.startsWith("fact_") && other.foreignKeys.some((fk) => fk.references.table === table.name),
  );
  return usedByFact ? 2 : 0;
}

/** Places the tables: four columns, each stacked top to bottom; bridges follow the order of the dims they join. */
export function layout(tables: readonly TableDef[]): Box[] {
  const columns: TableDef[][] = [[], [], [], []];
  for (const table of tables) columns[layer(table, tables)]?.push(table);
  const leftOrder = (bridge: TableDef): number => {
    const dims = columns[0] ?? [];
    const index = dims.findIndex((dim) => bridge.foreignKeys.some((fk) => fk.references.table === dim.name));
    return index < 0 ? dims.length : index;
  };
  columns[1]?.sort((a, b) => leftOrder(a) - leftOrder(b));
  const boxes: Box[] = [];
  let x = MARGIN;
  for (const column of columns) {
    const width =
      Math.max(0, ...column.flatMap((t) => [t.name.length + 2, ...t.columns.map((c) => columnLabel(t, c).length)])) *
        CHAR +
      2 * PAD;
    let y = MARGIN;
    for (const table of column) {
      const height = HEADER + table.columns.length * ROW + PAD / 2;
      boxes.push({ table, x, y, width, height });
      y += height + GAP_Y;
    }
    if (column.length) x += width + GAP_X;
  }
  return boxes;
}

function rowY(box: Box, column: string): number {
  const index = Math.max(
    0,
    box.table.columns.findIndex((c) => c.name === column),
  );
  return box.y + HEADER + index * ROW + ROW / 2;
}

/** The ER diagram of the Refined tables of a registry, as SVG text. */
export function diagramSvg(tables: readonly TableDef[] = TABLES): string {
  const refined = tables.filter((table) => table.zone === "refined");
  const boxes = layout(refined);
  const byName = new Map(boxes.map((box) => [box.table.name, box]));
  const width = Math.max(...boxes.map((b) => b.x + b.width)) + MARGIN;
  const height = Math.max(...boxes.map((b) => b.y + b.height)) + MARGIN + ROW;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${fmt(width)}" height="${fmt(height)}" ` +
      `viewBox="0 0 ${fmt(width)} ${fmt(height)}" font-family="DejaVu Sans Mono, monospace" font-size="${FONT}">`,
    `<title>cinelake Refined star schema (generated from lake/tables.ts by npm run diagram)</title>`,
    `<defs><marker id="one" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" ` +
      `orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
  ];
  // Relationships first, so boxes are drawn over the line ends.
  for (const box of boxes) {
    for (const fk of box.table.foreignKeys) {
      const target = byName.get(fk.references.table);
      const [column] = fk.columns;
      const [refColumn] = fk.references.columns;
      if (!target || !column || !refColumn) continue;
      const fromRight = target.x > box.x;
      const x1 = fromRight ? box.x + box.width : box.x;
      const x2 = fromRight ? target.x : target.x + target.width;
      const y1 = rowY(box, column);
      const y2 = rowY(target, refColumn);
      const bend = (x1 + x2) / 2;
      out.push(
        `<path d="M${fmt(x1)},${fmt(y1)} C${fmt(bend)},${fmt(y1)} ${fmt(bend)},${fmt(y2)} ${fmt(x2)},${fmt(y2)}" ` +
          `fill="none" stroke="#555" stroke-width="1.2" marker-end="url(#one)">` +
          `<title>${escapeXml(`${box.table.name}.${column} -> ${target.table.name}.${refColumn}`)}</title></path>`,
      );
    }
  }
  const colors: Record<number, string> = { 0: "#e8f1fb", 1: "#fdf3e1", 2: "#e8f1fb", 3: "#e6f5e9" };
  for (const box of boxes) {
    const fill = colors[layer(box.table, refined)] ?? "#ffffff";
    out.push(
      `<g id="${escapeXml(box.table.name)}"><title>${escapeXml(box.table.description)}</title>`,
      `<rect x="${fmt(box.x)}" y="${fmt(box.y)}" width="${fmt(box.width)}" height="${fmt(box.height)}" rx="4" ` +
        `fill="#ffffff" stroke="#333"/>`,
      `<rect x="${fmt(box.x)}" y="${fmt(box.y)}" width="${fmt(box.width)}" height="${HEADER}" rx="4" fill="${fill}" ` +
        `stroke="#333"/>`,
      `<text x="${fmt(box.x + PAD)}" y="${fmt(box.y + HEADER - 8)}" font-weight="bold">` +
        `${escapeXml(box.table.name)}</text>`,
    );
    box.table.columns.forEach((column, index) => {
      out.push(
        `<text x="${fmt(box.x + PAD)}" y="${fmt(box.y + HEADER + index * ROW + ROW - 5)}" xml:space="preserve">` +
          `${escapeXml(columnLabel(box.table, column))}</text>`,
      );
    });
    out.push(`</g>`);
  }
  out.push(
    `<text x="${MARGIN}" y="${fmt(height - MARGIN / 2)}" fill="#555">` +
      `Arrows point from a foreign key to the key it references (many to one). Generated by npm run diagram.</text>`,
    `</svg>`,
  );
  return `${out.join("\n")}\n`;
}

if (require.main === module) {
  const target = join(__dirname, "..", "..", DIAGRAM_PATH);
  writeFileSync(target, diagramSvg());
  console.log(`wrote ${target}`);
}
