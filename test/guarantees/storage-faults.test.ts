import t from 'tap';
import { Vault } from '../../src/vault/vault.js';
import { ManualClock } from '../helpers/clock.js';
import { FaultyFileSystem, type FaultPoint } from '../helpers/faulty-fs.js';
import { create, crashImage, openTestVault, remove, TODAY, update, visibleState } from '../helpers/vault.js';

async function reopenedState(dataDir: string) {
  const vault = await Vault.open({ dataDir, timeZone: 'UTC', clock: new ManualClock(`${TODAY}T12:00:00Z`) });
  const state = visibleState(vault);
  await vault.close();
  return state;
}

const faults: [FaultPoint, string][] = [['write', 'ENOSPC'], ['sync', 'EIO'], ['write', 'EIO']];

for (const [point, code] of faults) {
  t.test(`a failing ${point} (${code}) of the store fails that change only, and memory and disk agree`, async (t) => {
    const fileSystem = new FaultyFileSystem();
    const { vault, dataDir } = await openTestVault(t, { fileSystem });
    await create(vault, { name: 'before-fault' });
    const before = visibleState(vault);

    fileSystem.fail(point, code, 1, /keys\.(journal|snapshot)/);
    await t.rejects(create(vault, { name: 'during-fault' }), {
      code: 'Internal', message: `The change was not saved: writing to the data directory failed (${code}). Nothing was changed.`,
    });
    t.same(visibleState(vault), before, 'memory: the change did not happen');
    t.same(await reopenedState(crashImage(t, dataDir)), before, 'disk: the change did not happen');

    const after = await create(vault, { name: 'after-fault' });
    t.equal(after.name, 'after-fault', 'the vault keeps serving');
    t.same(await reopenedState(crashImage(t, dataDir)), visibleState(vault), 'and what it acknowledges is durable');
  });
}

t.test('when the journal cannot even be cut back, the next change rewrites the store first', async (t) => {
  const fileSystem = new FaultyFileSystem();
  const { vault, dataDir } = await openTestVault(t, { fileSystem });
  await create(vault, { name: 'kept' });
  fileSystem.fail('sync', 'EIO', 1, /keys\./);
  fileSystem.fail('truncate', 'EIO', 1, /keys\./);
  await t.rejects(update(vault, { name: 'kept', description: 'lost' }), { code: 'Internal' });
  fileSystem.fail('rename', 'EIO', 1, /keys\./);
  await t.rejects(create(vault, { name: 'blocked' }), { code: 'Internal' }, 'the rewrite failed too: refused, not risked');
  t.same(visibleState(vault).map((k) => k.name), ['kept']);
  await create(vault, { name: 'next' });
  const state = visibleState(vault);
  t.same(state.map((k) => [k.name, k.description]), [['kept', ''], ['next', '']]);
  t.same(await reopenedState(crashImage(t, dataDir)), state, 'the rewritten store holds exactly the acknowledged changes');
});

t.test('a failed compaction leaves the store readable and is retried', async (t) => {
  const fileSystem = new FaultyFileSystem();
  const { vault, dataDir } = await openTestVault(t, { fileSystem, compactAfterDeleteMs: 10 });
  await create(vault, { name: 'stays' });
  await create(vault, { name: 'goes' });
  fileSystem.fail('syncDirectory', 'EIO', 1, /data-\d+$/);
  await remove(vault, 'goes');
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.same(await reopenedState(crashImage(t, dataDir)), visibleState(vault));
  await create(vault, { name: 'later' });
  t.same(await reopenedState(crashImage(t, dataDir)), visibleState(vault));
});

for (const [point, code] of faults) {
  t.test(`a failing ${point} (${code}) of the audit trail refuses the change before anything is written`, async (t) => {
    const fileSystem = new FaultyFileSystem();
    const { vault, dataDir } = await openTestVault(t, { fileSystem });
    await create(vault, { name: 'before-fault' });
    const before = visibleState(vault);
    fileSystem.fail(point, code, 1, /audit/);
    await t.rejects(create(vault, { name: 'during-fault' }), { code: 'Internal', message: `Nothing was done: writing the audit trail failed (${code}).` });
    t.same(visibleState(vault), before, 'memory: the change did not happen');
    t.same(await reopenedState(crashImage(t, dataDir)), before, 'disk: the change did not happen');
    await create(vault, { name: 'after-fault' });
    t.same(await vault.audit.verify(), { intact: true, entries: 2 }, 'the trail holds exactly the two changes made, intact');
  });
}
