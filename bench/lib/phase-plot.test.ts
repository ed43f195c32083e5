import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { phasePlotSvg } from './phase-plot.js';

describe('phasePlotSvg', () => {
  test('draws one bar per side with a rect per phase, widths in proportion, and escapes text', () => {
    const svg = phasePlotSvg('startup <median>', [
      { label: 'by hand', segments: [{ name: 'daemon', ms: 300 }, { name: 'pull', ms: 300 }] },
      { label: 'envbox', segments: [{ name: 'process', ms: 150 }, { name: 'daemon', ms: 450 }, { name: 'pull', ms: 600 }] },
    ]);
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.match(svg, /startup &lt;median&gt;/);
    const widths = [...svg.matchAll(/<rect x="[\d.]+" y="\d+" width="([\d.]+)" height="34"/g)].map((m) => Number(m[1]));
    assert.equal(widths.length, 5);
    // envbox's total (1200 ms) spans the plot; by hand (600 ms) half of it.
    assert.ok(Math.abs((widths[0]! + widths[1]!) * 2 - (widths[2]! + widths[3]! + widths[4]!)) < 0.5, widths.join(' '));
    assert.match(svg, /1\.20 s/);
  });
});
