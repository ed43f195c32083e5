import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { clockSplit, parsePhaseSplit, parseStopLine, stopShares } from './startup.js';

describe('parsePhaseSplit', () => {
  test('reads envbox\'s done line into milliseconds per phase', () => {
    assert.deepEqual(parsePhaseSplit('ready in 3.2 s: daemon 0.7 s, pull 1.1 s, create 0.4 s, bootstrap 1.0 s'),
      { readyMs: 3200, daemon: 700, pull: 1100, create: 400, bootstrap: 1000 });
    assert.deepEqual(parsePhaseSplit('ready in 0.9 s'), { readyMs: 900 });
  });

  test('anything else is an error that quotes the line', () => {
    assert.throws(() => parsePhaseSplit('Envbox startup complete!'), /not envbox's timing summary: "Envbox startup complete!"/);
    assert.throws(() => parsePhaseSplit('ready in 1.0 s: warp 0.2 s'), /unexpected phase "warp 0.2 s"/);
  });
});

describe('the stop line and the shares of a stop', () => {
  test('reads envbox\'s stop line; the workspace\'s share is the bootstrap and the container', () => {
    const steps = parseStopLine('stopped in 4.31 s: shutdown hooks 0.00 s, bootstrap 0.02 s, container 4.12 s, daemons 0.16 s');
    assert.deepEqual(steps, { total: 4310, 'shutdown hooks': 0, bootstrap: 20, container: 4120, daemons: 160 });
    assert.deepEqual(stopShares(4500, steps), { total: 4500, workspace: 4140, envbox: 360 });
    assert.throws(() => parseStopLine('Received SIGTERM'), /not envbox's stop line/);
  });
});

describe('clockSplit', () => {
  test('splits spawn → clock at the startup marks', () => {
    const origin = Date.parse('2026-11-29T10:00:00.000Z');
    const split = clockSplit(origin - 5, {
      startedAt: new Date(origin + 100).toISOString(),
      startup: { timeOrigin: origin, marks: { main: 30, modules: 60, config: 70, inputs: 95 } },
    });
    assert.deepEqual(split, { exec: 5, node: 30, modules: 30, config: 10, inputs: 25, clock: 5, total: 105 });
  });
});
