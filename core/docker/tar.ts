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

/** PAX records: "<length> <key>=<value>\n", each length counting the whole record. */
function paxRecords(data: Buffer): Record<string, string> {
  const records: Record<string, string> = {};
  let offset = 0;
  while (offset < data.length) {
    const space = data.indexOf(0x20, offset);
    if (space === -1) break;
    const length = Number(data.subarray(offset, space).toString('utf8'));
    if (!Number.isInteger(length) || length <= 0) break;
    const record = data.subarray(space + 1, offset + length - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq !== -1) records[record.slice(0, eq)] = record.slice(eq + 1);
    offset += length;
  }
  return records;
}

const blocks = (size: number) => Math.ceil(size / 512) * 512;

/**
 * Reads the first entry of a tar archive (GET /containers/{id}/archive returns one per path).
 * Docker writes PAX: an extended header (`x`) may come first, carrying a long path or link target.
 */
export function firstTarEntry(archive: Buffer): TarEntry | null {
  let offset = 0;
  let pax: Record<string, string> = {};
  while (offset + 512 <= archive.length) {
    const header = archive.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) return null;
    const size = parseInt(field(header, 124, 12).trim() || '0', 8);
    const flag = String.fromCharCode(header[156] ?? 0);
    const data = archive.subarray(offset + 512, offset + 512 + size);
    if (flag === 'x' || flag === 'g') {
      pax = { ...pax, ...paxRecords(data) };
      offset += 512 + blocks(size);
      continue;
    }
    const prefix = field(header, 345, 155);
    const name = pax.path ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
    const type = flag === '0' || flag === '\0' ? 'file' : flag === '2' ? 'symlink' : 'other';
    const fullSize = pax.size !== undefined ? Number(pax.size) : size;
    return { name, type, linkTarget: pax.linkpath ?? field(header, 157, 100), data: archive.subarray(offset + 512, offset + 512 + fullSize) };
  }
  return null;
}
