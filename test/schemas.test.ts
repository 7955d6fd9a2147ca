import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import { jsonRpcNumbers } from '../src/generated/error-codes.js';
import { rpcMethods, schemaDocuments } from '../src/generated/schemas.js';
import { errorCodes } from '../src/shared/api-error.js';
import { validForFromText } from '../src/cli/validity-text.js';

const root = path.resolve(import.meta.dirname, '..');

t.test('src/generated/schemas.ts is up to date with schemas/', async (t) => {
  t.doesNotThrow(() => execFileSync(process.execPath, [path.join(root, 'build/generate-schema-module.mjs'), '--check'], { stdio: 'pipe' }));
});

t.test('every RPC method of docs/protocol.md has a params and a result schema', async (t) => {
  t.same([...rpcMethods].sort(), [
    'apiKey.create', 'apiKey.delete', 'apiKey.disable', 'apiKey.enable', 'apiKey.get', 'apiKey.list', 'apiKey.reveal', 'apiKey.rotate',
    'apiKey.update', 'apiKey.usage', 'apiKey.verify', 'audit.list', 'audit.verify', 'backup.create', 'backup.read', 'connector.authenticate', 'daemon.shutdown', 'daemon.status',
    'session.challenge', 'session.hello',
  ]);
  for (const method of rpcMethods) {
    t.ok(fs.existsSync(path.join(root, 'schemas/results', `${method}.json`)), `results/${method}.json`);
  }
});

t.test('params schemas reject unknown fields', async (t) => {
  for (const document of schemaDocuments.filter((d) => String(d.$id).startsWith('params/'))) {
    t.equal(document.additionalProperties, false, String(document.$id));
    t.equal(document.type, 'object');
  }
});

t.test('error codes: the one list, and every code a schema names is in it', async (t) => {
  t.same(errorCodes, ['Unauthenticated', 'Forbidden', 'InvalidParams', 'NameInvalid', 'NameTooShort', 'NameTooLong',
    'DescriptionTooLong', 'ExpiryInvalid', 'ExpiryInPast', 'ExpiryTooFar', 'NameTaken', 'KeyNotFound', 'Internal', 'KeyDisabled', 'GraceInvalid',
    'BackupInvalid', 'PassphraseWrong', 'TooManySessions', 'Conflict', 'StoreUnavailable']);
  const named: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) {
        if (k === 'x-errors') for (const e of Object.values(v as Record<string, { code: string }>)) named.push(e.code);
        walk(v);
      }
    }
  };
  walk(schemaDocuments);
  t.ok(named.length >= 8);
  for (const code of named) t.ok(errorCodes.includes(code as never), code);
});

t.test('the annotations of defs.json agree with its enums and grammar', async (t) => {
  const defs = (schemaDocuments.find((d) => d.$id === 'defs.json') as { $defs: Record<string, Record<string, unknown>> }).$defs;
  const bands = defs.Status!['x-bands'] as { fromDaysLeft: number | null; status: string; color: string }[];
  const disabled = defs.Status!['x-disabled'] as { status: string; color: string };
  t.same([...bands.map((b) => b.status), disabled.status], defs.Status!.enum, 'one band per status, in the enum order, then the disabled status');
  for (const band of [...bands, disabled]) t.ok((defs.Color!.enum as string[]).includes(band.color), `${band.color} is a Color`);
  const floors = bands.map((b) => b.fromDaysLeft ?? -Infinity);
  t.same(floors, [...floors].sort((a, b) => b - a), 'bands from the highest floor down; the last takes any daysLeft');
  t.equal(bands.at(-1)!.fromDaysLeft, null);
  const presets = defs.ValidFor!['x-presets'] as Record<string, string>;
  const iso = new RegExp(defs.ValidFor!.pattern as string);
  for (const [typed, sent] of Object.entries(presets)) {
    t.equal(validForFromText(typed), sent, `the preset ${typed} is a shorthand for ${sent}`);
    t.match(sent, iso);
  }
  t.match(defs.ValidFor!['x-default'] as string, iso);
  t.match(defs.ValidFor!['x-max'] as string, iso);
});

/** A copy of what the generator reads and writes, in a test directory: planted faults stay there. */
function generatorCopy(t: Test): { dir: string; generate: (...args: string[]) => string | undefined } {
  const dir = t.testdir({ build: {}, docs: {}, schemas: {}, src: { generated: {} }, powershell: { GatewayApiKeys: { Private: {} } } });
  fs.cpSync(path.join(root, 'schemas'), path.join(dir, 'schemas'), { recursive: true });
  fs.cpSync(path.join(root, 'src/generated'), path.join(dir, 'src/generated'), { recursive: true });
  fs.cpSync(path.join(root, DOTNET_GENERATED), path.join(dir, DOTNET_GENERATED), { recursive: true });
  for (const file of [rulesFile, 'docs/protocol.md', 'build/generate-schema-module.mjs', 'package.json']) fs.copyFileSync(path.join(root, file), path.join(dir, file));
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
  // What the generator says on standard error when it fails; undefined when it succeeds.
  const generate = (...args: string[]) => {
    try {
      execFileSync(process.execPath, [path.join(dir, 'build/generate-schema-module.mjs'), ...args], { stdio: 'pipe' });
      return undefined;
    } catch (error) {
      return String((error as { stderr: Buffer }).stderr);
    }
  };
  return { dir, generate };
}

const rulesFile = 'powershell/GatewayApiKeys/Private/GatewayRules.generated.ps1';
/** The .NET client's generated codes and locations, which the same generator writes. */
const DOTNET_GENERATED = 'clients/dotnet/src/GatewayApiKeys.Client/Generated';

t.test('--check fails when a rule changed and the PowerShell rules were not regenerated', async (t) => {
  const copy = generatorCopy(t);
  t.equal(copy.generate('--check'), undefined, 'the copy is up to date');
  const defsFile = path.join(copy.dir, 'schemas/defs.json');
  fs.writeFileSync(defsFile, fs.readFileSync(defsFile, 'utf8').replace('"maxLength": 4000', '"maxLength": 4096'));
  const failure = copy.generate('--check');
  t.match(failure, /GatewayRules\.generated\.ps1 is out of date/, 'the PowerShell rules are named stale');
  t.match(failure, /src\/generated\/schemas\.ts is out of date/);
  t.match(failure, /docs\/protocol\.md is out of date/, 'the error table says "more than 4000 characters"');
});

/** The x-codes rows of defs.json: every property of each error code. */
const codeRows = () => (schemaDocuments.find((d) => d.$id === 'defs.json') as { $defs: { ErrorCode: { 'x-codes': Record<string, Record<string, unknown>> } } })
  .$defs.ErrorCode['x-codes'];

t.test('error codes: the JSON-RPC numbers clients already know, and every client-side code the PowerShell module gives', async (t) => {
  const rows = codeRows();
  t.same(Object.fromEntries(Object.entries(rows).filter(([, row]) => !row.clientOnly).map(([code, row]) => [code, row.jsonRpc])), {
    Unauthenticated: -32001, Forbidden: -32003, InvalidParams: -32602, NameInvalid: -32602, NameTooShort: -32602, NameTooLong: -32602,
    DescriptionTooLong: -32602, ExpiryInvalid: -32602, ExpiryInPast: -32602, ExpiryTooFar: -32602, NameTaken: -32009, KeyNotFound: -32004,
    Internal: -32603, KeyDisabled: -32010, GraceInvalid: -32602, BackupInvalid: -32011, PassphraseWrong: -32012,
    TooManySessions: -32015, Conflict: -32013, StoreUnavailable: -32014,
  }, 'a number once published is never changed');
  t.same(jsonRpcNumbers, Object.fromEntries(errorCodes.map((code) => [code, rows[code]!.jsonRpc])), 'the daemon answers with the numbers of the rows');
  // Every literal ErrorId the module's sources give must have a row, or its category would silently be NotSpecified.
  const module = path.join(root, 'powershell/GatewayApiKeys');
  const given = new Set<string>();
  for (const file of fs.readdirSync(module, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ps1'))) {
    for (const match of fs.readFileSync(path.join(module, file), 'utf8').matchAll(/-ErrorId '(\w+)'|\$errorId = '(\w+)'/g)) given.add(match[1] ?? match[2]!);
  }
  t.ok(given.size >= 15, `${given.size} ErrorIds given by name`);
  for (const id of given) t.ok(rows[id], `${id} has a row`);
  // Each category a row names must have the exception type of Private/GatewayErrors.ps1's table.
  const errorsPs1 = fs.readFileSync(path.join(module, 'Private/GatewayErrors.ps1'), 'utf8');
  const typed = new Set([...errorsPs1.matchAll(/^\s+(\w+)\s+= \[[\w.]+\]$/gm)].map((m) => m[1]));
  for (const [code, row] of Object.entries(rows)) t.ok(typed.has(row.category as string), `${code}: ${row.category} has an exception type`);
});

t.test('the generator refuses an x-codes row that is not whole, or daemon rows that are not the enum', async (t) => {
  const plant = (change: (codes: Record<string, Record<string, unknown>>, errorCode: { enum: string[] }) => void) => {
    const copy = generatorCopy(t);
    const defsFile = path.join(copy.dir, 'schemas/defs.json');
    const defs = JSON.parse(fs.readFileSync(defsFile, 'utf8'));
    change(defs.$defs.ErrorCode['x-codes'], defs.$defs.ErrorCode);
    fs.writeFileSync(defsFile, JSON.stringify(defs, null, 2));
    return copy.generate();
  };
  t.match(plant((codes) => { delete codes.KeyNotFound!.jsonRpc; }), /KeyNotFound needs either a whole jsonRpc number or clientOnly: true/);
  t.match(plant((codes) => { codes.DaemonTimeout!.jsonRpc = -32013; }), /DaemonTimeout needs either/, 'a client-only code with a number');
  t.match(plant((codes) => { delete codes.Forbidden!.terminating; }), /Forbidden needs terminating/);
  t.match(plant((codes) => { codes.Internal!.meaning = 'two\nlines'; }), /Internal needs a meaning in one line/);
  t.match(plant((codes) => { codes.NameTooShort!.meaning = 'fewer than {defs.json#/$defs/Name/minLen}'; }), /\{defs\.json#\/\$defs\/Name\/minLen\} names no value/);
  t.match(plant((codes) => { codes.Internal!.color = 'Red'; }), /Internal has fields no one reads: color/);
  t.match(plant((_, errorCode) => { errorCode.enum.push('Teapot'); }), /must be its enum, in the same order/, 'an enum code without a row');
  t.match(plant((codes) => { codes.Teapot = { jsonRpc: -32099, category: 'NotSpecified', terminating: false, meaning: 'short and stout' }; }),
    /must be its enum/, 'a daemon row that is not in the enum');
});
