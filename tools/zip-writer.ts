/**
 * A minimal ZIP writer on Node's zlib (deflate, CRC-32): enough for a WordPress plugin upload.
 *
 * Why not Debian's `zip` or PHP's ZipArchive: `npm run package` then needs no system package and
 * no root on any machine that has Node, and the archive is the same byte for byte for the same
 * files and times. WordPress unpacks it with ZipArchive (php-zip) or, without it, PclZip; both
 * read this plain form: UTF-8 names, stored directories, deflated files, no ZIP64 (a plugin is
 * far below 4 GiB and 65535 entries, checked below).
 */
import { crc32, deflateRawSync } from 'node:zlib';

export interface ZipEntry {
  /** Path inside the archive with forward slashes; a directory ends with "/". */
  name: string;
  /** File contents (ignored for a directory). */
  data?: Buffer;
  /** Modification time written to the entry (DOS time, two-second steps, UTC). */
  mtime: Date;
}

const UTF8_NAMES = 0x0800;
const MADE_BY_UNIX = (3 << 8) | 20;

function dosTime(date: Date): { time: number; date: number } {
  const year = Math.min(Math.max(date.getUTCFullYear(), 1980), 2107);
  return {
    time: (date.getUTCHours() << 11) | (date.getUTCMinutes() << 5) | Math.floor(date.getUTCSeconds() / 2),
    date: ((year - 1980) << 9) | ((date.getUTCMonth() + 1) << 5) | date.getUTCDate(),
  };
}

interface CommonFields {
  method: number;
  time: number;
  date: number;
  crc: number;
  packedSize: number;
  size: number;
  nameLength: number;
}

/** What a local header and its central directory record share, from "version needed" to the name's length (26 bytes). */
function writeCommonFields(buffer: Buffer, at: number, fields: CommonFields): void {
  buffer.writeUInt16LE(20, at); // version needed: 2.0 (deflate)
  buffer.writeUInt16LE(UTF8_NAMES, at + 2);
  buffer.writeUInt16LE(fields.method, at + 4);
  buffer.writeUInt16LE(fields.time, at + 6);
  buffer.writeUInt16LE(fields.date, at + 8);
  buffer.writeUInt32LE(fields.crc, at + 10);
  buffer.writeUInt32LE(fields.packedSize, at + 14);
  buffer.writeUInt32LE(fields.size, at + 18);
  buffer.writeUInt16LE(fields.nameLength, at + 22);
}

/** The archive holding the entries in the order given. */
export function writeZip(entries: ZipEntry[]): Buffer {
  if (entries.length > 0xffff) throw new Error(`zip-writer: ${entries.length} entries need ZIP64, which this writer does not write`);
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const isDir = entry.name.endsWith('/');
    if (entry.name.startsWith('/') || entry.name.split('/').includes('..')) throw new Error(`zip-writer: unsafe entry name ${entry.name}`);
    const name = Buffer.from(entry.name, 'utf8');
    const raw = isDir ? Buffer.alloc(0) : (entry.data ?? Buffer.alloc(0));
    const packed = isDir ? raw : deflateRawSync(raw, { level: 9 });
    const method = isDir ? 0 : 8;
    const crc = isDir ? 0 : crc32(raw);
    const { time, date } = dosTime(entry.mtime);
    if (offset + 30 + name.length + packed.length > 0xffffffff) throw new Error('zip-writer: archive over 4 GiB needs ZIP64');

    const common = { method, time, date, crc, packedSize: packed.length, size: raw.length, nameLength: name.length };
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    writeCommonFields(local, 4, common);
    local.writeUInt16LE(0, 28); // no extra field
    parts.push(local, name, packed);

    const header = Buffer.alloc(46);
    header.writeUInt32LE(0x02014b50, 0);
    header.writeUInt16LE(MADE_BY_UNIX, 4);
    writeCommonFields(header, 6, common);
    // extra, comment, disk number, internal attributes: 0
    // External attributes: Unix mode in the high half (0755 directories, 0644 files), MS-DOS directory bit.
    header.writeUInt32LE((((isDir ? 0o040755 : 0o100644) << 16) | (isDir ? 0x10 : 0)) >>> 0, 38);
    header.writeUInt32LE(offset, 42);
    central.push(header, name);

    offset += local.length + name.length + packed.length;
  }
  const centralSize = central.reduce((sum, b) => sum + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, ...central, end]);
}
