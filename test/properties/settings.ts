import fc from 'fast-check';

/**
 * One seed for every property test, so that a run in CI is the run on a laptop, and a bounded
 * number of runs per property, so that the unit suite stays fast. To explore further, run a file
 * with ENVBOX_PROPERTY_SEED=<n> (or `random`) and ENVBOX_PROPERTY_RUNS=<n>; a failure prints its
 * seed and path, so it can be replayed.
 */
const seedSetting = process.env.ENVBOX_PROPERTY_SEED;
export const PROPERTY_SEED = seedSetting === 'random' ? Date.now() : Number(seedSetting ?? 1604);
const runsSetting = Number(process.env.ENVBOX_PROPERTY_RUNS ?? 0);

export function propertyOptions<Ts>(numRuns = 200): fc.Parameters<Ts> {
  return { seed: PROPERTY_SEED, numRuns: runsSetting > 0 ? runsSetting : numRuns };
}

/** Text as an attacker or a careless admin writes it: any code point, the separators parsers split on, and long runs. */
export const hostileText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: fc.constantFrom(...':,/=@%.*-_[]{}"\'\\ \t\n\0#?+0123456789aAzZeEkKmMgGiIbB\u00e9\ud800\u{1f600}'), maxLength: 60 }),
  fc.constantFrom('', ' ', ',', ':', '::', '/', '//', '%', '@', '*', '0', '-0', '1e309', '9'.repeat(400), 'x'.repeat(100_000)),
);
