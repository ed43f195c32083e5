/**
 * An SVG of the startup phases, by hand and by envbox, as two stacked bars on one time axis, so
 * the gap (and where it sits) can be seen. Plain SVG text: no plotting dependency.
 */
export interface PlotBar {
  label: string;
  /** In order, left to right; ms. */
  segments: Array<{ name: string; ms: number }>;
}

const COLORS: Record<string, string> = {
  process: '#9e9e9e', daemon: '#4e79a7', pull: '#f28e2b', create: '#59a14f', bootstrap: '#e15759', 'to ready line': '#b07aa1',
};
const escape = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function phasePlotSvg(title: string, bars: readonly PlotBar[], footnote = ''): string {
  const width = 760;
  const left = 150;
  const right = 30;
  const barHeight = 34;
  const top = 50;
  const gap = 26;
  const totals = bars.map((b) => b.segments.reduce((sum, s) => sum + Math.max(0, s.ms), 0));
  const maxMs = Math.max(1, ...totals);
  const scale = (width - left - right) / maxMs;
  const axisY = top + bars.length * (barHeight + gap);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${axisY + 90}" font-family="sans-serif" font-size="12">`,
    `<text x="${left}" y="24" font-size="15" font-weight="bold">${escape(title)}</text>`,
  ];
  bars.forEach((bar, i) => {
    const y = top + i * (barHeight + gap);
    parts.push(`<text x="${left - 8}" y="${y + barHeight / 2 + 4}" text-anchor="end">${escape(bar.label)}</text>`);
    let x = left;
    for (const seg of bar.segments) {
      const w = Math.max(0, seg.ms) * scale;
      parts.push(`<rect x="${x.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${barHeight}" fill="${COLORS[seg.name] ?? '#bab0ac'}"><title>${escape(`${seg.name}: ${Math.round(seg.ms)} ms`)}</title></rect>`);
      if (w > 34) parts.push(`<text x="${(x + w / 2).toFixed(1)}" y="${y + barHeight / 2 + 4}" text-anchor="middle" fill="#fff">${Math.round(seg.ms)}</text>`);
      x += w;
    }
    parts.push(`<text x="${(x + 4).toFixed(1)}" y="${y + barHeight / 2 + 4}">${(totals[i]! / 1000).toFixed(2)} s</text>`);
  });
  const step = maxMs > 2000 ? 500 : 250;
  parts.push(`<line x1="${left}" y1="${axisY}" x2="${width - right}" y2="${axisY}" stroke="#333"/>`);
  for (let t = 0; t <= maxMs; t += step) {
    const x = left + t * scale;
    parts.push(`<line x1="${x.toFixed(1)}" y1="${axisY}" x2="${x.toFixed(1)}" y2="${axisY + 5}" stroke="#333"/><text x="${x.toFixed(1)}" y="${axisY + 18}" text-anchor="middle">${t} ms</text>`);
  }
  const names = [...new Set(bars.flatMap((b) => b.segments.map((s) => s.name)))];
  names.forEach((name, i) => {
    const x = left + i * 105;
    parts.push(`<rect x="${x}" y="${axisY + 32}" width="12" height="12" fill="${COLORS[name] ?? '#bab0ac'}"/><text x="${x + 16}" y="${axisY + 42}">${escape(name)}</text>`);
  });
  if (footnote) parts.push(`<text x="${left}" y="${axisY + 70}" fill="#555">${escape(footnote)}</text>`);
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
