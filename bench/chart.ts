import { writeFile } from 'node:fs/promises';
import type { CaseResult, DialectReport } from './results.js';

/** One line of a panel: its name and (x, y) points. */
interface Series {
  readonly name: string;
  readonly points: readonly (readonly [number, number])[];
}

interface Panel {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly logX: boolean;
  readonly series: readonly Series[];
}

const WIDTH = 460;
const HEIGHT = 300;
const MARGIN = { left: 60, right: 16, top: 34, bottom: 70 };
const COLOURS = ['#d62728', '#1f77b4', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];

/**
 * W5's two curves per dialect as one SVG: the threshold curve (ms per table
 * against rows per table, each of sqlpin's methods) and the curve over table
 * count (ms per reset against tables). Plain SVG from the numbers: no
 * dependency, readable in any browser. Returns undefined when W5 did not run.
 */
export async function writeResetChart(dialects: readonly DialectReport[], file: string): Promise<string | undefined> {
  const rows: Panel[][] = [];
  for (const report of dialects) {
    const rowCases = report.cases.filter((c) => c.workload === 'W5 rows');
    const tableCases = report.cases.filter((c) => c.workload === 'W5 tables');
    if (rowCases.length === 0 && tableCases.length === 0) continue;
    rows.push([
      {
        title: `${report.dialect}: threshold curve (${report.server})`,
        xLabel: 'rows per table (log scale)',
        yLabel: 'ms per table',
        logX: true,
        series: seriesOf(
          rowCases,
          (c) => Number.parseInt(c.label, 10),
          (c, median) => median / (c.tables ?? 1),
        ),
      },
      {
        title: `${report.dialect}: reset of every table, 100 rows each`,
        xLabel: 'tables',
        yLabel: 'ms per reset',
        logX: false,
        series: seriesOf(
          tableCases,
          (c) => c.tables ?? 0,
          (_, median) => median,
        ),
      },
    ]);
  }
  if (rows.length === 0) return undefined;
  const svgWidth = WIDTH * 2;
  const svgHeight = HEIGHT * rows.length;
  const body = rows.flatMap((panels, r) => panels.map((panel, c) => drawPanel(panel, c * WIDTH, r * HEIGHT)));
  const svg = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${svgWidth}" height="${svgHeight}" viewBox="0 0 ${svgWidth} ${svgHeight}" font-family="sans-serif" font-size="11">`,
    '<title>sqlpin bench W5: the threshold curve (ms per table against rows per table) and the reset over table count</title>',
    `<rect width="100%" height="100%" fill="white"/>`,
    ...body,
    '</svg>',
  ].join('\n');
  await writeFile(file, svg + '\n');
  return file;
}

function seriesOf(cases: readonly CaseResult[], x: (c: CaseResult) => number, y: (c: CaseResult, median: number) => number): Series[] {
  const names = [...new Set(cases.flatMap((c) => c.arms.map((arm) => arm.name)))];
  return names.map((name) => ({
    name,
    points: cases
      .flatMap((c) => c.arms.filter((arm) => arm.name === name).map((arm) => [x(c), y(c, arm.median)] as const))
      .sort((a, b) => a[0] - b[0]),
  }));
}

function drawPanel(panel: Panel, left: number, top: number): string {
  const all = panel.series.flatMap((s) => s.points);
  if (all.length === 0) return '';
  const fx = (v: number) => (panel.logX ? Math.log10(v) : v);
  const xs = all.map(([x]) => fx(x));
  const [xMin, xMax] = [Math.min(...xs), Math.max(...xs)];
  const yMax = niceCeiling(Math.max(...all.map(([, y]) => y)));
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const px = (x: number) => left + MARGIN.left + ((fx(x) - xMin) / (xMax - xMin || 1)) * plotW;
  const py = (y: number) => top + MARGIN.top + plotH - (y / yMax) * plotH;
  const out: string[] = [];
  out.push(`<text x="${left + WIDTH / 2}" y="${top + 18}" text-anchor="middle" font-weight="bold">${escapeXml(panel.title)}</text>`);
  out.push(`<rect x="${left + MARGIN.left}" y="${top + MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`);
  for (let i = 0; i <= 4; i++) {
    const y = (yMax * i) / 4;
    out.push(`<line x1="${left + MARGIN.left}" x2="${left + MARGIN.left + plotW}" y1="${py(y)}" y2="${py(y)}" stroke="#eee"/>`);
    out.push(`<text x="${left + MARGIN.left - 4}" y="${py(y) + 4}" text-anchor="end">${format(y)}</text>`);
  }
  for (const x of [...new Set(all.map(([x]) => x))]) {
    out.push(`<text x="${px(x)}" y="${top + MARGIN.top + plotH + 14}" text-anchor="middle">${format(x)}</text>`);
  }
  out.push(
    `<text x="${left + MARGIN.left + plotW / 2}" y="${top + MARGIN.top + plotH + 28}" text-anchor="middle">${escapeXml(panel.xLabel)}</text>`,
  );
  out.push(
    `<text transform="translate(${left + 14} ${top + MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(panel.yLabel)}</text>`,
  );
  panel.series.forEach((series, i) => {
    const colour = COLOURS[i % COLOURS.length]!;
    const points = series.points.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ');
    out.push(`<polyline points="${points}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    for (const [x, y] of series.points) out.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="2.5" fill="${colour}"/>`);
    const lx = left + MARGIN.left + (i % 2) * (plotW / 2);
    const ly = top + MARGIN.top + plotH + 42 + Math.floor(i / 2) * 13;
    out.push(`<rect x="${lx}" y="${ly - 8}" width="10" height="3" fill="${colour}"/>`);
    out.push(`<text x="${lx + 14}" y="${ly - 3}">${escapeXml(series.name)}</text>`);
  });
  return out.join('\n');
}

/** A round upper bound for an axis: 1, 2 or 5 times a power of ten. */
function niceCeiling(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 5, 10].map((m) => m * power).find((candidate) => candidate >= value)!;
}

function format(value: number): string {
  if (value >= 1000) return `${value / 1000}k`;
  return value < 10 && !Number.isInteger(value) ? value.toFixed(2) : String(Math.round(value * 10) / 10);
}

function escapeXml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}
