import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { rpcMethods, schemaDocuments } from '../src/generated/schemas.js';
import { errorCodes } from '../src/vault/errors.js';
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
    'BackupInvalid', 'PassphraseWrong']);
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

t.test('--check fails when a rule changed and the PowerShell rules were not regenerated', async (t) => {
  const copy = t.testdir({ build: {}, schemas: {}, src: { generated: {} }, powershell: { GatewayApiKeys: { Private: {} } } });
  fs.cpSync(path.join(root, 'schemas'), path.join(copy, 'schemas'), { recursive: true });
  fs.cpSync(path.join(root, 'src/generated'), path.join(copy, 'src/generated'), { recursive: true });
  const rules = 'powershell/GatewayApiKeys/Private/GatewayRules.generated.ps1';
  fs.copyFileSync(path.join(root, rules), path.join(copy, rules));
  fs.copyFileSync(path.join(root, 'build/generate-schema-module.mjs'), path.join(copy, 'build/generate-schema-module.mjs'));
  fs.copyFileSync(path.join(root, 'package.json'), path.join(copy, 'package.json'));
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(copy, 'node_modules'));
  const check = () => execFileSync(process.execPath, [path.join(copy, 'build/generate-schema-module.mjs'), '--check'], { stdio: 'pipe' });
  t.doesNotThrow(check, 'the copy is up to date');
  const defsFile = path.join(copy, 'schemas/defs.json');
  fs.writeFileSync(defsFile, fs.readFileSync(defsFile, 'utf8').replace('"maxLength": 4000', '"maxLength": 4096'));
  const failure = (() => { try { check(); return undefined; } catch (error) { return String((error as { stderr: Buffer }).stderr); } })();
  t.match(failure, /GatewayRules\.generated\.ps1 is out of date/, 'the PowerShell rules are named stale');
  t.match(failure, /src\/generated\/schemas\.ts is out of date/);
});
