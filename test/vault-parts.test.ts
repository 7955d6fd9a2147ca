import t from 'tap';
import { CoalescedFlush } from '../src/vault/coalesced-flush.js';
import { CompactionSchedule } from '../src/vault/compaction-schedule.js';
import { WriteQueue } from '../src/vault/write-queue.js';
import { RecordingLog } from './helpers/vault.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

t.test('WriteQueue: one task at a time, in order; a failure does not stop the next', async (t) => {
  const queue = new WriteQueue();
  const events: string[] = [];
  let running = 0;
  const task = (name: string, ms: number, fail = false) => async () => {
    running++;
    t.equal(running, 1, `${name} runs alone`);
    events.push(`start ${name}`);
    await sleep(ms);
    events.push(`end ${name}`);
    running--;
    if (fail) throw new Error(name);
    return name;
  };
  const results = await Promise.allSettled([queue.run(task('a', 20)), queue.run(task('b', 1, true)), queue.run(task('c', 5))]);
  t.same(events, ['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  t.match(results, [{ value: 'a' }, { status: 'rejected', reason: { message: 'b' } }, { value: 'c' }]);
  t.equal(await queue.run(() => 'sync'), 'sync', 'a synchronous task too');
});

t.test('CoalescedFlush: ids noted within an interval are persisted together, once', async (t) => {
  const batches: string[][] = [];
  const flush = new CoalescedFlush(async (ids) => { batches.push(ids.sort()); }, 30);
  for (let i = 0; i < 100; i++) flush.add(i % 2 ? 'a' : 'b');
  t.same(batches, [], 'nothing written when noted');
  await sleep(80);
  t.same(batches, [['a', 'b']], 'one batch, each id once');
  await sleep(60);
  t.equal(batches.length, 1, 'no timer left running when nothing is pending');
  flush.add('c');
  await flush.flush();
  t.same(batches[1], ['c'], 'an explicit flush writes at once');
  flush.stop();
});

t.test('CoalescedFlush: a failed persist keeps the ids and tries again; stop ends the timers', async (t) => {
  let fail = true;
  const batches: string[][] = [];
  const flush = new CoalescedFlush(async (ids) => {
    if (fail) throw new Error('disk full');
    batches.push(ids);
  }, 20);
  flush.add('x');
  await sleep(35);
  t.same(batches, [], 'the first attempt failed');
  fail = false;
  await sleep(40);
  t.same(batches, [['x']], 'kept and written by the retry');
  flush.stop();
  flush.add('y');
  await sleep(50);
  t.equal(batches.length, 1, 'stopped: no timer writes');
  await flush.flush();
  t.same(batches[1], ['y'], 'but an explicit flush still does (the shutdown path)');
});

t.test('CompactionSchedule: the earliest ask wins; a failure is logged and retried', async (t) => {
  const log = new RecordingLog();
  let runs = 0;
  let fail = false;
  const schedule = new CompactionSchedule(async () => {
    runs++;
    if (fail) throw new Error('EIO');
  }, log, 30);
  schedule.within(1000);
  schedule.within(10);
  schedule.within(500);
  await sleep(60);
  t.equal(runs, 1, 'the earliest ask ran, once');
  fail = true;
  schedule.within(0);
  await sleep(20);
  t.equal(runs, 2);
  t.match(log.lines, [{ level: 'error', meta: { event: 'store.compactFailed', reason: 'EIO' } }]);
  fail = false;
  await sleep(60);
  t.equal(runs, 3, 'retried after the retry delay');
  schedule.stop();
  schedule.within(0);
  await sleep(20);
  t.equal(runs, 3, 'stopped: nothing more runs');
});
