import { defineInput, inputKinds, schemeSlashesProblem, urlPassword, urlSecretForms, UserinfoError, userinfoReadingsDiffer } from 'envbox';

/** The password of a proxy URL, as written and decoded, as Go and WHATWG read it: all must be scrubbed from every output. */
function proxyCredentials(text: string): string[] {
  return urlSecretForms(text);
}

/** The URL with its password replaced, for messages. */
export function maskedProxy(text: string): string {
  return proxyCredentials(text).reduce((out, secret) => out.split(secret).join('[redacted]'), text);
}

/** How a problem quotes the value: masked, or not at all when a password might hide in text that is not a URL. */
function shown(text: string): string {
  // Where the parsers disagree, a user name may be a password: nothing of it is quoted.
  if (text.includes('@') && userinfoReadingsDiffer(text)) return 'the value (hidden: it may hold a password)';
  const masked = maskedProxy(text);
  return masked === text && text.includes('@') ? 'the value (hidden: it may hold a password)' : JSON.stringify(masked);
}

/** Text the parsers disagree on is never masked and shown: the value is hidden whenever it has an '@'. */
function hiddenIfAt(text: string): string {
  return text.includes('@') ? 'the value (hidden: it may hold a password)' : JSON.stringify(text);
}

const PROXY_SCHEMES = new Set(['http:', 'https:', 'socks5:']);

/** `http://[user:pass@]host:port`, as dockerd (Go's net/http) reads HTTP_PROXY; problems never quote a password. */
const proxyUrlInput = inputKinds.textInput((text) => {
  const slashes = schemeSlashesProblem(text);
  if (slashes !== null) return new inputKinds.Problem(`${hiddenIfAt(text)} is not a proxy URL written scheme://[user:password@]host:port: it ${slashes}`);
  let url: URL | undefined;
  try {
    url = new URL(text.trim());
  } catch { /* the problem below */ }
  if (!url || !PROXY_SCHEMES.has(url.protocol) || url.hostname === '') {
    return new inputKinds.Problem(`${shown(text)} is not a proxy URL (http://, https:// or socks5://, with a host)`);
  }
  if (url.pathname !== '/' && url.pathname !== '') return new inputKinds.Problem(`${shown(text)} has a path; a proxy URL is scheme://[user:password@]host:port`);
  const password = urlPassword(text);
  if (password instanceof UserinfoError) return new inputKinds.Problem(`${shown(text)}: ${password.problem}`);
  return text.trim().replace(/\/+$/, '');
});

const proxyDescription = (scheme: string) =>
  `The proxy dockerd uses for ${scheme} requests (pulls). envbox also reads the lowercase name. A password in it is a secret: never logged. `
  + 'It reaches the workspace only through CODER_INNER_ENVS.';

const httpProxy = defineInput({
  key: 'httpProxy', env: 'HTTP_PROXY', flag: 'http-proxy', schema: proxyUrlInput, secretParts: proxyCredentials,
  description: proxyDescription('http://'), example: 'http://proxy.corp:3128',
});

const httpsProxy = defineInput({
  key: 'httpsProxy', env: 'HTTPS_PROXY', flag: 'https-proxy', schema: proxyUrlInput, secretParts: proxyCredentials,
  description: proxyDescription('https://'), example: 'http://user:password@proxy.corp:3128',
});

const noProxy = defineInput({
  key: 'noProxy', env: 'NO_PROXY', flag: 'no-proxy',
  schema: inputKinds.textInput((text) => (text.trim() === '' ? new inputKinds.Problem('must not be empty') : text.trim())),
  description: 'Hosts dockerd reaches without the proxy: names, .domain suffixes, IPs and CIDRs, comma-separated. envbox also reads no_proxy.',
  example: 'localhost,127.0.0.1,.svc.cluster.local,10.0.0.0/8',
});

export const PROXY_INPUTS = [httpProxy, httpsProxy, noProxy] as const;
