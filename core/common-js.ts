/**
 * The exports of a CommonJS package loaded with `import()`. Node gives its named exports and its
 * `module.exports` as `default`; the bundle's split chunk of such a package gives `default` only.
 * So `default` is what both have.
 */
export function commonJsExports<T extends object>(namespace: T): T {
  return ((namespace as { default?: T }).default ?? namespace);
}
