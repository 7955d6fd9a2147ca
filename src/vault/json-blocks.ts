import { dayPrefix, formatInstant } from './instant.js';

const DAY_MS = 86_400_000;
const MAX_DATE_MS = 8.64e15;
const QUOTE = 0x22;

/**
 * JSON text written straight into blocks of bytes, with no string made per value: a list of
 * 100,000 keys writes 38 MB, and concatenating then encoding a string per key cost it more than
 * half its time (docs/architecture.md, "The key table"). The caller reserves room for what it
 * writes next; a block that lacks it is closed and a new one opened, of its own memory, so that
 * each is freed once sent.
 */
export class JsonBlocks {
  private readonly blocks: Buffer[] = [];
  private block: Buffer;
  private used = 0;

  constructor(private readonly blockBytes: number) {
    this.block = Buffer.allocUnsafe(blockBytes);
  }

  /**
   * Makes room for `bytes` more in the current block, and for strings of `textUnits` UTF-16 units
   * in all: 6 bytes each at most (`\u001f`, a lone surrogate's `\udc00`), their quotes in `bytes`.
   */
  reserve(bytes: number, textUnits = 0): void {
    bytes += textUnits * 6;
    if (this.used + bytes > this.block.length) {
      this.blocks.push(this.block.subarray(0, this.used));
      this.block = Buffer.allocUnsafe(Math.max(this.blockBytes, bytes));
      this.used = 0;
    }
  }

  /** Bytes copied one by one: the parts of an answer are a few bytes each, and TypedArray#set cost more per call than the loop. */
  bytes(part: Uint8Array): void {
    const block = this.block;
    let at = this.used;
    for (let i = 0; i < part.length; i++) block[at++] = part[i]!;
    this.used = at;
  }

  /**
   * `JSON.stringify(text)`. Text of printable ASCII with no `"` or `\` (names, dates, hints as a
   * rule) is copied byte for byte as it is checked; any other is stringified and encoded.
   */
  string(text: string): void {
    const block = this.block;
    const start = this.used;
    let at = start + 1;
    for (let i = 0; i < text.length; i++) {
      const unit = text.charCodeAt(i);
      if (unit < 0x20 || unit > 0x7e || unit === QUOTE || unit === 0x5c) {
        this.used = start + block.write(JSON.stringify(text), start, 'utf8');
        return;
      }
      block[at++] = unit;
    }
    block[start] = QUOTE;
    block[at] = QUOTE;
    this.used = at + 1;
  }

  /** `JSON.stringify(text)` of text known to be ASCII that needs no escape. */
  ascii(text: string): void {
    const block = this.block;
    let at = this.used;
    for (let i = 0; i < text.length; i++) block[at++] = text.charCodeAt(i);
    this.used = at;
  }

  /** `JSON.stringify` of ASCII text that needs no escape, given as `bytes` from `start` to `end` (a key's hint). */
  quotedAscii(bytes: Uint8Array, start: number, end: number): void {
    const block = this.block;
    let at = this.used;
    block[at++] = QUOTE;
    for (let i = start; i < end; i++) block[at++] = bytes[i]!;
    block[at++] = QUOTE;
    this.used = at;
  }

  /** `JSON.stringify` of an epoch day as `YYYY-MM-DD` (an expiry), from the cached text of its day. */
  date(day: number): void {
    const prefix = dayPrefix(day);
    const block = this.block;
    let at = this.used;
    block[at++] = QUOTE;
    for (let i = 0; i < prefix.length - 1; i++) block[at++] = prefix.charCodeAt(i);
    block[at++] = QUOTE;
    this.used = at;
  }

  /** A whole number as JSON. */
  integer(value: number): void {
    this.ascii(String(value));
  }

  /** `JSON.stringify(formatInstant(epochMs))`: its digits written into the block, after the cached text of its day. */
  instant(epochMs: number): void {
    // Beyond Date's range, or not a whole millisecond: formatInstant's answer (Date's, or its throw).
    if (!Number.isInteger(epochMs) || Math.abs(epochMs) > MAX_DATE_MS) {
      this.string(formatInstant(epochMs));
      return;
    }
    const day = Math.floor(epochMs / DAY_MS);
    const block = this.block;
    block[this.used++] = QUOTE;
    this.ascii(dayPrefix(day));
    let rest = epochMs - day * DAY_MS;
    const ms = rest % 1000;
    rest = (rest - ms) / 1000;
    const second = rest % 60;
    rest = (rest - second) / 60;
    const minute = rest % 60;
    const hour = (rest - minute) / 60;
    let at = this.used;
    block[at++] = 0x30 + ((hour / 10) | 0);
    block[at++] = 0x30 + (hour % 10);
    block[at++] = 0x3a;
    block[at++] = 0x30 + ((minute / 10) | 0);
    block[at++] = 0x30 + (minute % 10);
    block[at++] = 0x3a;
    block[at++] = 0x30 + ((second / 10) | 0);
    block[at++] = 0x30 + (second % 10);
    block[at++] = 0x2e;
    block[at++] = 0x30 + ((ms / 100) | 0);
    block[at++] = 0x30 + (((ms / 10) | 0) % 10);
    block[at++] = 0x30 + (ms % 10);
    block[at++] = 0x5a;
    block[at++] = QUOTE;
    this.used = at;
  }

  /** The blocks written, the last one closed. */
  finish(): Buffer[] {
    this.blocks.push(this.block.subarray(0, this.used));
    return this.blocks;
  }
}
