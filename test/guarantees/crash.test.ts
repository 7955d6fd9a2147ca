import t from 'tap';
import type { DaemonClient as RpcClient } from '../../src/client/connect.js';
import { startDaemon } from '../helpers/daemon.js';
import { scale } from '../helpers/long-mode.js';
import { freshDataDir } from '../helpers/vault.js';

/**
 * Guarantee 1: `kill -9` of the real daemon at a random moment during a stream of creates, updates,
 * deletes, rotations, disables and enables from several connections. After each restart the store
 * opens, every acknowledged change is there, and no acknowledged delete has come back. A change
 * that was in flight at the kill may have happened or not, but nothing else; in particular a
 * rotation leaves the old value or the new one working, never a key with no working value.
 */
interface KeyState {
  description: string;
  enabled: boolean;
  key?: string;
  /** Values a rotation replaced, still in their grace (24 hours: all of this test). */
  previous?: string;
  /** A rotation in flight: its new value is not known until it is answered. */
  unknownKey?: boolean;
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
    if (mine.length === 0 || roll < 0.35) {
      name = `c${id}-t${trial}-${serial++}`;
      after = { description: `created in trial ${trial}`, enabled: true };
      call = async () => { after!.key = (await client.request('apiKey.create', { name, description: after!.description })).key; };
    } else if (roll < 0.6) {
      const [picked, state] = mine[Math.floor(Math.random() * mine.length)]!;
      name = picked;
      after = { ...state!, description: `edit ${serial++} in trial ${trial}` };
      call = () => client.request('apiKey.update', { name, description: after!.description });
    } else if (roll < 0.75) {
      const [picked, state] = mine[Math.floor(Math.random() * mine.length)]!;
      name = picked;
      // A disabled key cannot be rotated: enable it instead.
      after = state!.enabled ? { ...state!, previous: state!.key, key: undefined, unknownKey: true } : { ...state!, enabled: true };
      call = state!.enabled
        ? async () => {
          const rotated = await client.request('apiKey.rotate', { name });
          after = { ...after!, key: rotated.key, unknownKey: false };
        }
        : () => client.request('apiKey.enable', { name });
    } else if (roll < 0.85) {
      const [picked, state] = mine[Math.floor(Math.random() * mine.length)]!;
      name = picked;
      after = { ...state!, enabled: false };
      call = () => client.request('apiKey.disable', { name });
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
    model.set(name, after!);
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
    const { items } = await admin.request('apiKey.list', {});
    const actual = new Map(items.map((item) => [item.name, item]));
    let mismatches = 0;
    const seen = (state: KeyState | undefined) => (state ? `${state.description}, ${state.enabled ? 'enabled' : 'disabled'}` : 'absent');
    for (const name of new Set([...model.keys(), ...actual.keys()])) {
      const acked = model.get(name);
      const pending = inFlight.find((f) => f.name === name);
      const item = actual.get(name);
      const found = item && seen({ description: item.description, enabled: item.enabled });
      const possible = [seen(acked), ...(pending ? [seen(pending.after)] : [])];
      if (!possible.includes(found ?? 'absent')) {
        mismatches++;
        t.fail(`trial ${trial}: ${name} is ${found ?? 'absent'}, expected ${possible.join(' or ')}`);
      }
      if (!item) {
        model.set(name, undefined);
        continue;
      }
      // The value it holds now: the acknowledged one, unless a create or a rotation was in flight.
      const value = (await admin.request('apiKey.reveal', { name })).key;
      const rotating = pending?.after?.unknownKey === true;
      if (acked && !rotating && value !== acked.key) {
        mismatches++;
        t.fail(`trial ${trial}: ${name} holds a value it was never given`);
      }
      // Never a key with no working value: the value it holds works, and so does the acknowledged
      // one (as the previous value, if the rotation in flight happened), and the acknowledged
      // previous value unless a rotation in flight ended it. Disabled keys answer Disabled.
      const mustWork = [value, acked?.key, rotating ? undefined : acked?.previous].filter((k): k is string => k !== undefined);
      for (const k of mustWork) {
        const auth = await admin.request('apiKey.verify', { key: k });
        if (!(auth.authenticated || (!item.enabled && auth.reason === 'Disabled'))) {
          mismatches++;
          t.fail(`trial ${trial}: ${name}: a value it should still take answers ${auth.authenticated ? '?' : auth.reason}`);
        }
      }
      const previous = value === acked?.key ? acked?.previous : acked?.key;
      model.set(name, { description: item.description, enabled: item.enabled, key: value, previous: item.previousValidUntil ? previous : undefined });
    }
    t.equal(mismatches, 0, `trial ${trial}: ${items.length} keys, ${inFlight.length} changes were in flight at the kill`);
    await restarted.stop();
  }
});
