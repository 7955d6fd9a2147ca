import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { rpcMethods, schemaDocuments } from '../src/generated/schemas.js';
import { errorCodes } from '../src/vault/errors.js';

const root = path.resolve(import.meta.dirname, '..');

t.test('src/generated/schemas.ts is up to date with schemas/', async (t) => {
  t.doesNotThrow(() => execFileSync(process.execPath, [path.join(root, 'build/generate-schema-module.mjs'), '--check'], { stdio: 'pipe' }));
});

t.test('every RPC method of DESIGN §5 has a params and a result schema', async (t) => {
  t.same([...rpcMethods].sort(), [
    'apiKey.create', 'apiKey.delete', 'apiKey.get', 'apiKey.list', 'apiKey.reveal', 'apiKey.update', 'apiKey.verify',
    'connector.authenticate', 'daemon.status', 'session.hello',
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

t.test('error codes: the DESIGN list, and every code a schema names is in it', async (t) => {
  t.same(errorCodes, ['Unauthenticated', 'Forbidden', 'InvalidParams', 'NameInvalid', 'NameTooShort', 'NameTooLong',
    'DescriptionTooLong', 'ExpiryInvalid', 'ExpiryInPast', 'ExpiryTooFar', 'NameTaken', 'KeyNotFound', 'Internal']);
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
