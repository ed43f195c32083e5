/** The one entry the archive API returns for a path: a file's bytes, or where a symlink points. */
export interface TarEntry {
  name: string;
  type: 'file' | 'symlink' | 'other';
  linkTarget: string;
  data: Buffer;
}

function field(header: Buffer, offset: number, length: number): string {
  const raw = header.subarray(offset, offset + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? length : end).toString('utf8');
}

/** Reads the first entry of a ustar archive (GET /containers/{id}/archive returns one per path). */
export function firstTarEntry(archive: Buffer): TarEntry | null {
  if (archive.length < 512) return null;
  const header = archive.subarray(0, 512);
  if (header.every((b) => b === 0)) return null;
  const size = parseInt(field(header, 124, 12).trim() || '0', 8);
  const flag = String.fromCharCode(header[156] ?? 0);
  const prefix = field(header, 345, 155);
  const name = prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100);
  const type = flag === '0' || flag === '\0' ? 'file' : flag === '2' ? 'symlink' : 'other';
  return { name, type, linkTarget: field(header, 157, 100), data: archive.subarray(512, 512 + size) };
}
