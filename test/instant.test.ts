import fc from 'fast-check';
import t from 'tap';
import { formatInstant } from '../src/vault/instant.js';

const iso = (epochMs: number) => new Date(epochMs).toISOString();
const DAY_MS = 86_400_000;

t.test('formatInstant is toISOString: every second of a day, every millisecond of a second, at each edge of the calendar', async (t) => {
  const days = ['1970-01-01', '1969-12-31', '2000-02-29', '2024-12-31', '2026-11-27', '2100-03-01', '9999-12-31', '0000-01-01', '-000001-12-31', '+010000-01-01']
    .map((d) => Date.parse(`${d}T00:00:00Z`));
  let checked = 0;
  let wrong = 0;
  for (const day of days) {
    for (let second = 0; second < 86_400; second++) {
      const at = day + second * 1000 + (second % 1000);
      checked++;
      if (formatInstant(at) !== iso(at)) wrong++;
    }
    for (let ms = 0; ms < 1000; ms++) for (const at of [day + ms, day - 1000 + ms, day + DAY_MS - 1000 + ms]) {
      checked++;
      if (formatInstant(at) !== iso(at)) wrong++;
    }
  }
  t.equal(wrong, 0, `${checked} instants`);
  for (const at of [0, -1, 1, 8.64e15, -8.64e15, 8.64e15 - 1, -8.64e15 + 1]) t.equal(formatInstant(at), iso(at), String(at));
});

t.test('formatInstant: Date\'s answer beyond its range or between milliseconds, a throw included', async (t) => {
  for (const at of [0.5, -0.5, 1e12 + 0.999, -1e12 - 0.25]) t.equal(formatInstant(at), iso(at), String(at));
  for (const at of [8.64e15 + 1, -8.64e15 - 1, NaN, Infinity]) t.throws(() => formatInstant(at), RangeError, String(at));
});

t.test('formatInstant is toISOString over random instants (property), the day cache filled and refilled', async () => {
  fc.assert(fc.property(fc.integer({ min: -8.64e15, max: 8.64e15 }), (at) => formatInstant(at) === iso(at)), { numRuns: 20_000 });
});
