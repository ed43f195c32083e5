import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePhaseSplit } from './startup.js';

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
