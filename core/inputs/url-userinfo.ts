/**
 * The password in `scheme://user:password@host`, found the way Go's net/url finds it (dockerd reads
 * HTTP_PROXY and its other URLs with it): the authority ends at the first `/`, `?` or `#`; the
 * userinfo ends at the LAST `@` in the authority; the password is what follows the userinfo's first
 * `:`. WHATWG's URL agrees on the last `@`, but percent-encodes what it returns, so the password as
 * written is taken from the text itself.
 */
export interface UrlPassword {
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
