/** What envbox wants in the workspace's daemon.json. */
export type DaemonSettings = Partial<{
  mtu: number;
  'registry-mirrors': string[];
  proxies: Partial<Record<'http-proxy' | 'https-proxy' | 'no-proxy', string>>;
}>;

type MergeResult =
  | { kind: 'write'; text: string; added: string[]; kept: string[]; others: string[] }
  | { kind: 'unchanged'; kept: string[] }
  | { kind: 'invalid'; reason: string };

/**
 * Merges envbox's settings into the image's daemon.json: every key the image has stays as it is
 * (an explicit "mtu" included), and only missing keys are added.
 */
export function mergeDaemonJson(existing: string | null, wanted: DaemonSettings): MergeResult {
  let current: Record<string, unknown> = {};
  if (existing !== null && existing.trim() !== '') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(existing);
    } catch (error) {
      return { kind: 'invalid', reason: `it is not valid JSON (${(error as Error).message})` };
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { kind: 'invalid', reason: 'it is not a JSON object' };
    current = parsed as Record<string, unknown>;
  }
  const added: string[] = [];
  const kept: string[] = [];
  const next = { ...current };
  for (const [key, value] of Object.entries(wanted)) {
    if (value === undefined) continue;
    if (key in current) kept.push(key);
    else {
      next[key] = value;
      added.push(key);
    }
  }
  if (added.length === 0) return { kind: 'unchanged', kept };
  const others = Object.keys(current).filter((k) => !(k in wanted));
  return { kind: 'write', text: `${JSON.stringify(next, null, 2)}\n`, added, kept, others };
}
