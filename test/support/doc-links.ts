import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';

/**
 * GitHub's heading anchor (github-slugger): lowercase, every character that is not a letter, mark, number,
 * connector (`_`), space or `-` dropped, spaces to `-`. `seen` gives repeats their `-1`, `-2`, ... suffix.
 */
export function githubSlug(heading: string, seen: Map<string, number> = new Map()): string {
  const base = heading.toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
  let slug = base;
  let count = seen.get(base) ?? 0;
  while (seen.has(slug)) slug = `${base}-${++count}`;
  seen.set(base, count);
  seen.set(slug, 0);
  return slug;
}

/** The text GitHub renders for a heading's markdown: links and images become their text, tags and markers go. */
function headingText(markdown: string): string {
  return markdown
    .replace(/\s+#+\s*$/, '')
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/`/g, '')
    .trim();
}

/** Lines outside fenced code blocks, with their 1-based line numbers. */
function proseLines(text: string): Array<{ line: string; number: number }> {
  const out: Array<{ line: string; number: number }> = [];
  let fence: string | null = null;
  text.split('\n').forEach((line, index) => {
    const marker = /^\s{0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (marker && (fence === null || (marker[0] === fence[0] && marker.length >= fence.length))) {
      fence = fence === null ? marker : null;
      return;
    }
    if (fence === null) out.push({ line, number: index + 1 });
  });
  return out;
}

/** Every anchor a markdown file offers: its headings' slugs, and the `id`/`name` of its HTML anchors. */
export function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const { line } of proseLines(markdown)) {
    const heading = /^\s{0,3}#{1,6}\s+(.*)$/.exec(line)?.[1];
    if (heading !== undefined) anchors.add(githubSlug(headingText(heading), seen));
    for (const match of line.matchAll(/<a\s[^>]*\b(?:name|id)="([^"]+)"/g)) anchors.add(match[1]!);
  }
  return anchors;
}

/** Every link target of a markdown file outside code: inline links and images, and reference definitions. */
export function linksOf(markdown: string): Array<{ target: string; line: number }> {
  const links: Array<{ target: string; line: number }> = [];
  for (const { line, number } of proseLines(markdown)) {
    const prose = line.replace(/(`+)[^`]*?\1/g, (span) => ' '.repeat(span.length));
    for (const match of prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) links.push({ target: match[1]!, line: number });
    const definition = /^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/.exec(prose)?.[1];
    if (definition) links.push({ target: definition, line: number });
  }
  return links;
}

/** The markdown files of a checkout, outside dependencies and build output. */
export function markdownFiles(root: string, dir = root): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return ['node_modules', 'dist', '.git'].includes(entry.name) ? [] : markdownFiles(root, path);
    return entry.isFile() && extname(entry.name) === '.md' ? [path] : [];
  }).sort();
}

/**
 * Each relative link in `files` that does not resolve: a path that does not exist (or leaves `root`), or an
 * `#anchor` that no heading of the target markdown file gives. External links (a scheme, `//host`) are not fetched.
 */
export function brokenLinks(checkout: string, files: readonly string[]): string[] {
  const root = resolve(checkout);
  const anchorCache = new Map<string, Set<string>>();
  const anchorsIn = (path: string) => {
    let anchors = anchorCache.get(path);
    if (!anchors) anchorCache.set(path, anchors = anchorsOf(readFileSync(path, 'utf8')));
    return anchors;
  };
  const problems: string[] = [];
  for (const file of files) {
    for (const { target, line } of linksOf(readFileSync(file, 'utf8'))) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) continue;
      const where = `${relative(root, file)}:${line}: ${target}`;
      const hash = target.indexOf('#');
      const pathPart = decodeURIComponent(hash < 0 ? target : target.slice(0, hash));
      const anchor = hash < 0 ? null : decodeURIComponent(target.slice(hash + 1));
      const path = pathPart === '' ? file : pathPart.startsWith('/') ? join(root, pathPart) : resolve(dirname(file), pathPart);
      if (path !== root && !path.startsWith(root + sep)) { problems.push(`${where} (leaves the repository)`); continue; }
      if (!existsSync(path)) { problems.push(`${where} (no such file)`); continue; }
      if (anchor === null) continue;
      if (statSync(path).isDirectory() || extname(path) !== '.md') {
        if (!/^L\d+(-L\d+)?$/.test(anchor)) problems.push(`${where} (an anchor into a file that is not markdown)`);
        continue;
      }
      if (!anchorsIn(path).has(anchor)) problems.push(`${where} (no heading of ${relative(root, path)} has this anchor)`);
    }
  }
  return problems;
}
