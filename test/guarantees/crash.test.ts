import t from 'tap';
import type { DaemonClient as RpcClient } from '../../src/client/connect.js';
import { startDaemon } from '../helpers/daemon.js';
import { scale } from '../helpers/long-mode.js';
import { freshDataDir } from '../helpers/vault.js';

/**
 * Guarantee 1: `kill -9` of the real daemon at a random moment during a stream of creates, updates
 * and deletes from several connections. After each restart the store opens, every acknowledged
 * change is there, and no acknowledged delete has come back. A change that was in flight at the
 * kill may have happened or not, but nothing else.
 */
interface KeyState {
  description: string;
  key?: string;
}
type Names = Map<string, KeyState | undefined>; // undefined: absent

interface InFlight {
  name: string;
  after: KeyState | undefined;
}

const CLIENTS = 4;

/** One connection's stream of changes to its own keys until the daemon dies; returns what is known. */
async function churn(client: RpcClient, id: number, model: Names, trial: number): Promise<InFlight | undefined> {
  let serial = 0;
  for (;;) {
    const mine = [...model.entries()].filter(([name, state]) => name.startsWith(`c${id}-`) && state);
    const roll = Math.random();
    let name: string;
    let after: KeyState | undefined;
    let call: () => Promise<unknown>;
    if (mine.length === 0 || roll < 0.45) {
      name = `c${id}-t${trial}-${serial++}`;
      after = { description: `created in trial ${trial}` };
      call = async () => { after!.key = (await client.request('apiKey.create', { name, description: after!.description })).key; };
    } else if (roll < 0.8) {
      const [picked, state] = mine[Math.floor(Math.random() * mine.length)]!;
      name = picked;
      after = { ...state!, description: `edit ${serial++} in trial ${trial}` };
      call = () => client.request('apiKey.update', { name, description: after!.description });
    } else {
      name = mine[Math.floor(Math.random() * mine.length)]![0];
      after = undefined;
      call = () => client.request('apiKey.delete', { name });
    }
    try {
      await call();
    } catch {
      return { name, after }; // the daemon died with this change in flight
    }
    model.set(name, after);
  }
}

t.test('kill -9 during a stream of changes loses no acknowledged change', async (t) => {
  const dataDir = freshDataDir(t);
  const model: Names = new Map();
  const trials = scale(5, 100);
  for (let trial = 0; trial < trials; trial++) {
    const daemon = await startDaemon(t, { dataDir });
    const clients = await Promise.all(Array.from({ length: CLIENTS }, () => daemon.client('admin')));
    const streams = clients.map((client, id) => churn(client, id, model, trial));
    await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 500));
    daemon.child.kill('SIGKILL');
    await daemon.exited;
    const inFlight = (await Promise.all(streams)).filter((x): x is InFlight => x !== undefined);

    const restarted = await startDaemon(t, { dataDir });
    const admin = await restarted.client('admin');
    const gateway = await restarted.client('gateway');
    const { items } = await admin.request('apiKey.list', {});
    const actual = new Map(items.map((item) => [item.name, item.description]));
    let mismatches = 0;
    for (const name of new Set([...model.keys(), ...actual.keys()])) {
      const acked = model.get(name);
      const pending = inFlight.find((f) => f.name === name);
      const found = actual.get(name);
      const possible = [acked?.description, ...(pending ? [pending.after?.description] : [])];
      if (!possible.includes(found)) {
        mismatches++;
        t.fail(`trial ${trial}: ${name} is ${found ?? 'absent'}, expected ${possible.map((p) => p ?? 'absent').join(' or ')}`);
      }
      // What the restart shows is the truth from now on; a created key keeps its value.
      const key = acked?.key ?? pending?.after?.key;
      model.set(name, found === undefined ? undefined : { description: found, key });
      if (found !== undefined && key) {
        const auth = await gateway.request('connector.authenticate', { key });
        if (!auth.authenticated) t.fail(`trial ${trial}: ${name} no longer authenticates`);
      }
    }
    t.equal(mismatches, 0, `trial ${trial}: ${items.length} keys, ${inFlight.length} changes were in flight at the kill`);
    await restarted.stop();
  }
});
