import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { byHandSplit, statusPhases } from './image-startup.js';

describe('byHandSplit', () => {
  test('the container\'s start from the spawn, then each phase from the mark before it', () => {
    const t = 1_764_441_234_000;
    assert.deepEqual(byHandSplit(t, { start: t + 190, daemon: t + 430, pull: t + 700, create: t + 940, bootstrap: t + 1090 }),
      { container: 190, daemon: 240, pull: 270, create: 240, bootstrap: 150 });
  });

  test('a missing mark is an error that names it, never a zero', () => {
    assert.throws(() => byHandSplit(0, { start: 1, daemon: 2, pull: 3 }), /no mark for create, bootstrap/);
  });
});

describe('statusPhases', () => {
  test('envbox\'s phases in ms under the done line\'s names', () => {
    assert.deepEqual(statusPhases({ durationsMs: { 'starting-daemon': 312.5, pulling: 401, creating: 288, bootstrapping: 9 } }),
      { daemon: 312.5, pull: 401, create: 288, bootstrap: 9 });
  });

  test('a phase envbox has not left is an error that names it', () => {
    assert.throws(() => statusPhases({ durationsMs: { 'starting-daemon': 300, pulling: 400 } }), /no duration for creating, bootstrapping/);
  });
});
