import type { TarInput } from '../../kernel/docker-client.js';

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

/** PAX headers carry a path or a link target; anything much larger is not from Docker. */
const MAX_PAX_BYTES = 1 << 20;

/** The first entry of a tar stream, with its data still to be read. */
interface StreamedTarEntry {
  name: string;
  type: 'file' | 'symlink' | 'other';
  linkTarget: string;
  size: number;
  /** Exactly the entry's bytes, read as they arrive. Ending the iteration early (break) ends the source. */
  data: AsyncGenerator<Buffer, void, undefined>;
}

/**
 * Reads the first entry of a tar stream (GET /containers/{id}/archive returns one per path) without
 * holding the archive: only its header is buffered, and the data is handed on chunk by chunk.
 * Docker writes PAX: an extended header (`x`) may come first, carrying a long path or link target.
 * Returns null, and ends the source, when the archive has no entry.
 */
export async function openFirstTarEntry(source: AsyncIterable<Buffer | Uint8Array>): Promise<StreamedTarEntry | null> {
  const chunks = source[Symbol.asyncIterator]();
  let buffered: Buffer = Buffer.alloc(0);
  const fill = async (bytes: number): Promise<boolean> => {
    while (buffered.length < bytes) {
      const next = await chunks.next();
      if (next.done) return false;
      buffered = buffered.length === 0 ? Buffer.from(next.value) : Buffer.concat([buffered, next.value]);
    }
    return true;
  };
  const end = async () => { await chunks.return?.(); };
  let pax: Record<string, string> = {};
  try {
    for (;;) {
      if (!(await fill(512))) { await end(); return null; }
      const header = buffered.subarray(0, 512);
      if (header.every((b) => b === 0)) { await end(); return null; }
      const size = parseInt(field(header, 124, 12).trim() || '0', 8);
      const flag = String.fromCharCode(header[156] ?? 0);
      if (flag === 'x' || flag === 'g') {
        if (!(size <= MAX_PAX_BYTES)) throw new Error(`the archive has a PAX header of ${size} bytes (at most ${MAX_PAX_BYTES})`);
        if (!(await fill(512 + blocks(size)))) { await end(); return null; }
        pax = { ...pax, ...paxRecords(buffered.subarray(512, 512 + size)) };
        buffered = buffered.subarray(512 + blocks(size));
        continue;
      }
      const prefix = field(header, 345, 155);
      const name = pax.path ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
      const type = flag === '0' || flag === '\0' ? 'file' : flag === '2' ? 'symlink' : 'other';
      const fullSize = pax.size !== undefined ? Number(pax.size) : size;
      const rest = buffered.subarray(512);
      return { name, type, linkTarget: pax.linkpath ?? field(header, 157, 100), size: fullSize, data: entryData(rest, chunks, fullSize) };
    }
  } catch (error) {
    await end();
    throw error;
  }
}

async function* entryData(first: Buffer, chunks: AsyncIterator<Buffer | Uint8Array>, size: number): AsyncGenerator<Buffer, void, undefined> {
  try {
    let left = size;
    let chunk: Buffer = first;
    while (left > 0) {
      if (chunk.length > 0) {
        const piece = chunk.subarray(0, Math.min(left, chunk.length));
        left -= piece.length;
        yield piece;
      }
      if (left === 0) break;
      const next = await chunks.next();
      if (next.done) throw new Error(`the archive ended ${left} bytes before the end of its entry`);
      chunk = Buffer.from(next.value);
    }
  } finally {
    // Nothing after the entry is wanted: close the source (the HTTP response) rather than drain it.
    await chunks.return?.();
  }
}

function octal(value: number, length: number): string {
  return `${value.toString(8).padStart(length - 1, '0')}\0`;
}

/** A ustar archive of a few small entries, the format PUT /containers/{id}/archive takes. */
export function tarOf(entries: readonly TarInput[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const data = entry.type === 'file' ? entry.data ?? Buffer.alloc(0) : Buffer.alloc(0);
    const name = entry.type === 'dir' && !entry.name.endsWith('/') ? `${entry.name}/` : entry.name;
    if (Buffer.byteLength(name) > 100) throw new Error(`tar entry name too long: ${name}`);
    const header = Buffer.alloc(512);
    header.write(name, 0, 100, 'utf8');
    header.write(octal(entry.mode & 0o7777, 8), 100);
    header.write(octal(0, 8), 108);
    header.write(octal(0, 8), 116);
    header.write(octal(data.length, 12), 124);
    header.write(octal(Math.floor(Date.now() / 1000), 12), 136);
    header.write('        ', 148);
    header.write(entry.type === 'dir' ? '5' : '0', 156);
    header.write('ustar\0', 257);
    header.write('00', 263);
    const checksum = header.reduce((sum, byte) => sum + byte, 0);
    header.write(`${checksum.toString(8).padStart(6, '0')}\0 `, 148);
    parts.push(header, data, Buffer.alloc(Math.ceil(data.length / 512) * 512 - data.length));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}
