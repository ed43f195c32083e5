/** Suffixes of a Kubernetes resource quantity (k8s.io/apimachinery resource.Quantity). */
const SUFFIX: Record<string, number> = {
  '': 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/** The value of a quantity such as `1500m`, `4Gi`, `2` or `1e3`, as the API server reads it. */
export function parseQuantity(quantity: string | number): number {
  if (typeof quantity === 'number') return quantity;
  const match = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[mkMGTPE])?)$/.exec(quantity.trim());
  if (!match) throw new Error(`"${quantity}" is not a Kubernetes quantity`);
  const [, number = '', exponent, suffix = ''] = match;
  return Number(number) * (exponent ? 10 ** Number(exponent.slice(1)) : SUFFIX[suffix]!);
}

/**
 * What the kubelet puts in an env var from a `resourceFieldRef`: ceil(value / divisor), a whole number
 * (pkg/api/v1/resource.ExtractContainerResourceValue).
 */
export function downwardResourceValue(limit: string | number, divisor: string | number = '1'): string {
  return String(Math.ceil(parseQuantity(limit) / parseQuantity(divisor)));
}
