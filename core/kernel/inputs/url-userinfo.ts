/**
 * The password in `scheme://user:password@host`, found the way Go's net/url finds it (dockerd reads
 * HTTP_PROXY and its other URLs with it): the authority ends at the first `/`, `?` or `#`; the
 * userinfo ends at the LAST `@` in the authority; the password is what follows the userinfo's first
 * `:`. WHATWG's URL agrees on the last `@`, but percent-encodes what it returns, so the password as
 * written is taken from the text itself.
 */
interface UrlPassword {
  /** As written in the URL: percent-escapes not decoded. */
  raw: string;
  /** With its percent-escapes decoded, as the proxy or registry receives it. */
  decoded: string;
}

/** Why a URL's userinfo would not parse in Go, for an input's problem text (never quoting the password). */
export class UserinfoError {
  constructor(readonly problem: string) {}
}

const SCHEME_AND_AUTHORITY = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i;

/** The userinfo part of a URL (`user:password`), or null when it has none. */
export function userinfoOf(text: string): string | null {
  const authority = SCHEME_AND_AUTHORITY.exec(text.trim())?.[1];
  if (authority === undefined) return null;
  const at = authority.lastIndexOf('@');
  return at < 0 ? null : authority.slice(0, at);
}

/** The URL's password, raw and decoded; null when it has none; a UserinfoError when Go would reject it. */
export function urlPassword(text: string): UrlPassword | UserinfoError | null {
  const userinfo = userinfoOf(text);
  if (userinfo === null) return null;
  if (![...userinfo].every((c) => USERINFO_CHAR.test(c))) {
    // The character itself is not shown: it may be part of the password.
    return new UserinfoError('its user:password holds a character that Go\'s URL parser (and so dockerd) rejects (a space, a quote, a backslash, a non-ASCII letter...); '
      + 'percent-encode it, e.g. %20 for a space, %22 for ", %5C for \\');
  }
  const colon = userinfo.indexOf(':');
  const username = colon < 0 ? userinfo : userinfo.slice(0, colon);
  if (percentDecode(username) === null) return new UserinfoError(`its user name holds a malformed percent-escape; each % must start one, such as %40 for @ or %25 for %`);
  if (colon < 0) return null;
  const raw = userinfo.slice(colon + 1);
  const decoded = percentDecode(raw);
  if (decoded === null) return new UserinfoError('its password holds a malformed percent-escape; each % must start one, such as %40 for @ or %25 for %');
  return { raw, decoded };
}

/** The password's forms to scrub (as written and decoded), or none when there is no password or it does not parse. */
export function urlPasswordForms(text: string): string[] {
  const password = urlPassword(text);
  if (password === null || password instanceof UserinfoError) {
    // Unparsable: hide what follows the first ':' of the userinfo, as far as the last '@', whatever it holds.
    const userinfo = userinfoOf(text);
    const colon = userinfo?.indexOf(':') ?? -1;
    return userinfo && colon >= 0 && colon < userinfo.length - 1 ? [userinfo.slice(colon + 1)] : [];
  }
  return [...new Set([password.raw, password.decoded])].filter((p) => p !== '');
}

// Go's validUserinfo: RFC 3986's unreserved and sub-delims, ':', '%' and '@' (the last '@' ends the userinfo).
const USERINFO_CHAR = /^[A-Za-z0-9\-._:~!$&'()*+,;=%@]$/;

/** `%XX` decoded as UTF-8 bytes; null for a `%` not followed by two hex digits, which Go's url.Parse refuses. */
export function percentDecode(text: string): string | null {
  if (/%(?![0-9a-fA-F]{2})/.test(text)) return null;
  return text.replace(/(?:%[0-9a-fA-F]{2})+/g, (run) => Buffer.from(run.replace(/%/g, ''), 'hex').toString('utf8'));
}

/**
 * Why `text` is not literally `scheme://authority...`, or null. WHATWG's URL (which envbox's own
 * checks use) reads `http:/h`, `http:///h`, `http:\\h`, `http:h` and text with tabs or newlines
 * stripped as `http://h`, while Go's net/url (dockerd) and `userinfoOf` read no authority there:
 * the parsers would disagree about where a password is, so such text is refused, never guessed at.
 * The text is not quoted: the problem is said by where the slashes are.
 */
export function schemeSlashesProblem(text: string): string | null {
  const t = text.trim();
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(t)) return 'holds a tab, newline or other control character, which URL parsers drop or refuse differently';
  const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(t)?.[0];
  // No scheme at all: each input's own check refuses it (WHATWG's URL needs one too).
  if (scheme === undefined) return null;
  const after = t.slice(scheme.length, scheme.length + 3);
  if (after.includes('\\')) return 'has a backslash right after the scheme where "//" belongs';
  if (!after.startsWith('//')) return `has ${after.startsWith('/') ? 'a single "/"' : 'no "//"'} after the scheme; write "scheme://" with two slashes`;
  if (after === '///') return 'has three "/" after the scheme; write "scheme://" with two slashes, then the host';
  return null;
}

/** `%XX` decoded, or null when malformed: WHATWG leaves a bare `%` as it is. */
function decodedOrNull(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return percentDecode(text);
  }
}

/** The user name and password as WHATWG's URL reads them (percent-encoded as it returns them; '' for none), or null when it reads no URL. */
function whatwgUserinfo(text: string): { username: string; password: string } | null {
  try {
    const url = new URL(text);
    return { username: url.username, password: url.password };
  } catch {
    return null;
  }
}

/** Go's reading of the userinfo: the user name and the password as written ('' for none). */
function goUserinfo(text: string): { username: string; password: string } {
  const userinfo = userinfoOf(text) ?? '';
  const colon = userinfo.indexOf(':');
  return colon < 0 ? { username: userinfo, password: '' } : { username: userinfo.slice(0, colon), password: userinfo.slice(colon + 1) };
}

/** Whether WHATWG's URL reads a URL here and splits its userinfo otherwise than Go's net/url does. */
export function userinfoReadingsDiffer(text: string): boolean {
  const whatwg = whatwgUserinfo(text);
  if (whatwg === null) return false;
  const go = goUserinfo(text);
  return decodedOrNull(whatwg.username) !== percentDecode(go.username) || decodedOrNull(whatwg.password) !== percentDecode(go.password);
}

/**
 * Every form of a URL's credentials to scrub: the password as Go reads it (as written and decoded),
 * and the password as WHATWG's URL reads it (as it returns it and decoded). Where the two parsers
 * split the userinfo differently, each one's user name is scrubbed too, since what one calls the
 * user name may be what the other sends as the password. Where they agree, the user name stays
 * readable (it would otherwise garble every log line holding a common word).
 */
export function urlSecretForms(text: string): string[] {
  const forms = new Set(urlPasswordForms(text));
  const whatwg = whatwgUserinfo(text);
  if (whatwg !== null) for (const form of [whatwg.password, decodedOrNull(whatwg.password)]) if (form) forms.add(form);
  if (userinfoReadingsDiffer(text)) {
    const go = goUserinfo(text);
    for (const form of [whatwg?.username, whatwg && decodedOrNull(whatwg.username), go.username, percentDecode(go.username)]) if (form) forms.add(form);
  }
  return [...forms].filter((form) => form !== '');
}
