import type { ApiKeyInfo, ApiKeyUsageResult, Color } from '../generated/schemas.js';

/** Colours only for a person at a terminal, and never when NO_COLOR is set (no-color.org). */
export function wantsColor(stream: NodeJS.WriteStream = process.stdout, env = process.env): boolean {
  return Boolean(stream.isTTY) && env.NO_COLOR === undefined;
}

const SGR: Record<Color, string> = { Red: '31', Orange: '33', Green: '32', Gray: '90' };

export function paint(text: string, color: Color, enabled: boolean): string {
  return enabled ? `\u001b[${SGR[color]}m${text}\u001b[0m` : text;
}

/** A plain text table; `colorOf` colours whole cells after padding so columns stay aligned. */
export function table(headers: string[], rows: string[][], colorOf?: (row: number, column: number) => Color | undefined, color = false): string {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => [...(r[c] ?? '')].length)));
  const line = (cells: string[], row: number) =>
    cells
      .map((cell, c) => {
        const padded = cell + ' '.repeat(widths[c]! - [...cell].length);
        const tint = row >= 0 ? colorOf?.(row, c) : undefined;
        return tint ? paint(padded, tint, color) : padded;
      })
      .join('  ')
      .trimEnd();
  return [line(headers, -1), line(widths.map((w) => '-'.repeat(w)), -1), ...rows.map((r, i) => line(r, i))].join('\n');
}

/** "1 key", "3 keys": a count as a sentence says it. */
export function counted(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function when(instant: string | null): string {
  return instant === null ? 'never' : instant.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function keyTable(items: ApiKeyInfo[], color: boolean): string {
  const rows = items.map((k) => [k.name, k.status, k.expiresOn, String(k.daysLeft), when(k.lastUsedAt), k.hint + '…']);
  return table(['NAME', 'STATUS', 'EXPIRES', 'DAYS LEFT', 'LAST USED', 'KEY'], rows, (r, c) => (c === 1 ? items[r]!.color : undefined), color);
}

/**
 * When and why a disabled key was disabled, as the key keeps them (docs/protocol.md, "Methods"); a
 * key disabled by a version that did not keep them has them in the audit trail only.
 */
function disabledLine(key: ApiKeyInfo): string {
  if (key.disabledAt === null) return `by an earlier version, which kept when and why in the audit trail only: gateway-apikeys audit --key-name '${key.name}'`;
  return `${when(key.disabledAt)} — ${key.disabledReason ?? 'no reason given'}`;
}

export function keyDetails(key: ApiKeyInfo, color: boolean): string {
  return [
    `Name:        ${key.name}`,
    `Description: ${key.description}`,
    `Status:      ${paint(key.status, key.color, color)} (${key.daysLeft} days left)`,
    ...(key.enabled ? [] : [`Disabled:    ${disabledLine(key)}`]),
    `Expires:     ${key.expiresOn}`,
    `Last used:   ${when(key.lastUsedAt)}`,
    `Created:     ${when(key.createdAt)}`,
    `Updated:     ${when(key.updatedAt)}`,
    `Rotated:     ${when(key.rotatedAt)}`,
    ...(key.previousValidUntil === null ? [] : [`Previous:    the value before the rotation works until ${when(key.previousValidUntil)}`]),
    `Key:         ${key.hint}…`,
  ].join('\n');
}

/** apiKey.usage for a person: one row per connector, the most recent first, and the uses without a connectorId. */
export function usageTable(usage: ApiKeyUsageResult): string {
  if (usage.connectors.length === 0 && usage.unattributedCount === 0) return `API key '${usage.name}' was never used.`;
  const lines: string[] = [];
  if (usage.connectors.length > 0) {
    lines.push(table(['CONNECTOR', 'FIRST USED', 'LAST USED', 'USES'],
      usage.connectors.map((c) => [c.connectorId, when(c.firstUsedAt), when(c.lastUsedAt), String(c.count)])));
  }
  if (usage.unattributedCount > 0) lines.push(`Uses without a connectorId: ${usage.unattributedCount}`);
  return lines.join('\n');
}
