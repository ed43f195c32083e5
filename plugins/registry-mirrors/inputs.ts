import { defineInput, inputKinds, schemeSlashesProblem, userinfoOf } from 'envbox';

/** Mirror URLs as dockerd's --registry-mirror takes them: scheme and host[:port], nothing else. */
const mirrorListInput = inputKinds.textInput((text) => {
  const mirrors: string[] = [];
  for (const [index, item] of text.split(',').entries()) {
    const entry = item.trim();
    if (entry === '') return new inputKinds.Problem(`entry ${index + 1} is empty (remove the extra comma)`);
    const slashes = schemeSlashesProblem(entry);
    if (slashes !== null) return new inputKinds.Problem(`entry ${index + 1} is not an http(s) URL written scheme://host[:port]: it ${slashes}`);
    if (userinfoOf(entry) !== null) return new inputKinds.Problem(`entry ${index + 1} holds credentials (user:password@); dockerd takes none in a mirror URL`);
    // Text with an '@' that is no URL may still hold a password: the problem does not quote it.
    const quoted = entry.includes('@') ? `entry ${index + 1}` : JSON.stringify(entry);
    let url: URL | undefined;
    try {
      url = new URL(entry);
    } catch { /* the problem below */ }
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.hostname === '') {
      return new inputKinds.Problem(`${quoted} is not an http(s) URL`);
    }
    if (url.username || url.password) return new inputKinds.Problem(`entry ${index + 1} holds credentials; dockerd takes none in a mirror URL`);
    if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
      return new inputKinds.Problem(`${quoted} has a path, query or fragment; dockerd takes only scheme://host[:port]`);
    }
    mirrors.push(`${url.protocol}//${url.host}`);
  }
  return [...new Set(mirrors)];
});

export const registryMirrors = defineInput({
  key: 'registryMirrors', env: 'ENVBOX_REGISTRY_MIRRORS', flag: 'registry-mirrors', schema: mirrorListInput, default: [] as string[],
  description: 'Registry mirrors for the managed dockerd (--registry-mirror), comma-separated. dockerd uses them for Docker Hub images only, '
    + 'and falls back to Docker Hub when they fail. Each mirror\'s host gets the CODER_EXTRA_CERTS_PATH certificates.',
  example: 'https://mirror.corp:5000',
});
