// @ts-check
/**
 * A corporate network: every request leaves through a proxy that re-signs TLS with the company's
 * CA. The workspace gets the CA (read-only) and the proxy variables; the outer dockerd gets the same
 * proxy (so that it can pull) and trusts the CA.
 *
 *   plugins: [['./corporate-network.mjs', { caFile: '/etc/corp/ca.pem', proxy: 'http://proxy.corp:3128', noProxy: ['.corp', '10.0.0.0/8'] }]]
 */
import { InputError, definePlugin, withBind, withEnv, withLabel } from 'envbox';

/** Where Debian and Ubuntu images look for extra CAs (update-ca-certificates). */
const INNER_CA = '/usr/local/share/ca-certificates/corporate-ca.crt';
/** Go, and so dockerd, trusts every file in /etc/ssl/certs: the CA goes there before dockerd starts. */
const OUTER_CA = '/etc/ssl/certs/corporate-ca.pem';

/**
 * @typedef {object} CorporateNetworkOptions
 * @property {string} caFile The company's CA certificate (PEM) in the outer container.
 * @property {string} proxy The proxy URL, for HTTP and HTTPS alike.
 * @property {string[]} [noProxy] Hosts, domains (`.corp`) and CIDRs that bypass the proxy.
 */

/** @param {CorporateNetworkOptions} options */
export default function corporateNetwork(options) {
  const noProxy = ['localhost', '127.0.0.1', ...(options?.noProxy ?? [])].join(',');
  /** @type {Record<string, string>} */
  const proxyEnv = {
    HTTP_PROXY: options?.proxy, HTTPS_PROXY: options?.proxy, NO_PROXY: noProxy,
    // curl and many CLIs read only the lowercase names.
    http_proxy: options?.proxy, https_proxy: options?.proxy, no_proxy: noProxy,
  };
  return definePlugin({
    name: 'corporate-network',
    apply({ hooks }) {
      // Bad options are bad input: exit 2 before anything starts, saying how to fix them.
      hooks.configure.tap((resolved) => {
        const problems = [];
        const example = "plugins: [['./corporate-network.mjs', { caFile: '/etc/corp/ca.pem', proxy: 'http://proxy.corp:3128' }]]";
        if (typeof options?.caFile !== 'string' || !options.caFile.startsWith('/')) {
          problems.push({ variable: 'corporate-network option caFile', problem: 'must be the absolute path of a PEM file', example });
        }
        if (typeof options?.proxy !== 'string' || !/^https?:\/\/[^/]+/.test(options.proxy)) {
          problems.push({ variable: 'corporate-network option proxy', problem: 'must be an http:// or https:// URL', example });
        }
        if (problems.length > 0) throw new InputError(problems);
        return resolved;
      });

      hooks.preDaemon.tap((daemon, ctx) => {
        ctx.act({ kind: 'copyFile', from: options.caFile, to: OUTER_CA, mode: '0644' });
        return { ...daemon, env: { ...daemon.env, HTTP_PROXY: options.proxy, HTTPS_PROXY: options.proxy, NO_PROXY: noProxy } };
      });

      hooks.containerSpec.tap((body) => {
        let next = withBind(body, { source: options.caFile, target: INNER_CA, readOnly: true });
        for (const [name, value] of Object.entries(proxyEnv)) next = withEnv(next, name, value);
        return withLabel(next, 'com.example.network', 'corporate');
      });

      hooks.postStart.tap(async (ctx) => {
        // Best effort: images without update-ca-certificates still get the file and the variables.
        const result = await ctx.docker.exec(ctx.containerId, { cmd: ['sh', '-c', 'command -v update-ca-certificates >/dev/null && update-ca-certificates'], user: '0' });
        ctx.buildLog.info(result.exitCode === 0
          ? `Corporate CA trusted in the workspace; proxy ${options.proxy}`
          : `Corporate CA mounted at ${INNER_CA}; this image has no update-ca-certificates, so trust it yourself`);
      });
    },
  });
}
