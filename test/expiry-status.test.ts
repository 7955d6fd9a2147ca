import fc from 'fast-check';
import t from 'tap';
import { Temporal } from 'temporal-polyfill';
import { ApiError } from '../src/shared/api-error.js';
import { chosenExpiry, newKeyExpiry } from '../src/vault/expiry.js';
import { daysLeft, epochDay, STATUS_URGENCY, statusFor } from '../src/vault/status.js';
import { VaultCalendar } from '../src/vault/clock.js';
import { ManualClock } from './helpers/clock.js';

const date = (s: string) => Temporal.PlainDate.from(s);
const today = date('2026-11-27');

function code(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    return error instanceof ApiError ? `${error.code}:${error.field}` : String(error);
  }
}

t.test('default expiry is one year from today', async (t) => {
  t.equal(newKeyExpiry({}, today).toString(), '2027-11-27');
  t.equal(newKeyExpiry({}, date('2028-02-29')).toString(), '2029-02-28', '29 Feb + 1 year = 28 Feb');
  t.equal(newKeyExpiry({}, date('2027-02-28')).toString(), '2028-02-28');
});

t.test('presets count from today', async (t) => {
  const expected: Record<string, string> = {
    P7D: '2026-12-04', P30D: '2026-12-27', P60D: '2027-01-26', P90D: '2027-02-25', P180D: '2027-05-26', P1Y: '2027-11-27',
    P6M: '2027-05-27', P2W: '2026-12-11', P0D: '2026-11-27', P5Y: '2031-11-27',
  };
  for (const [validFor, expiresOn] of Object.entries(expected)) {
    t.equal(chosenExpiry({ validFor }, today)?.toString(), expiresOn, validFor);
  }
  t.equal(chosenExpiry({ validFor: 'P1M' }, date('2027-01-31'))?.toString(), '2027-02-28', 'month-end clamps');
  t.equal(chosenExpiry({ validFor: 'P5Y' }, date('2028-02-29'))?.toString(), '2033-02-28', '+5y from a leap day');
});

t.test('a custom date: not before today, not after today + 5 years', async (t) => {
  t.equal(code(() => chosenExpiry({ expiresOn: '2026-11-26' }, today)), 'ExpiryInPast:expiresOn', 'yesterday');
  t.equal(chosenExpiry({ expiresOn: '2026-11-27' }, today)?.toString(), '2026-11-27', 'today');
  t.equal(chosenExpiry({ expiresOn: '2031-11-27' }, today)?.toString(), '2031-11-27', 'today + 5 years');
  t.equal(code(() => chosenExpiry({ expiresOn: '2031-11-28' }, today)), 'ExpiryTooFar:expiresOn', 'today + 5 years + 1 day');
  t.equal(code(() => chosenExpiry({ expiresOn: '1999-01-01' }, today)), 'ExpiryInPast:expiresOn');
  t.equal(code(() => chosenExpiry({ validFor: 'P5Y1D' }, today)), 'ExpiryTooFar:validFor');
  t.equal(code(() => chosenExpiry({ validFor: 'P1827D' }, today)), 'ExpiryTooFar:validFor');
  t.equal(chosenExpiry({ validFor: 'P1826D' }, today)?.toString(), '2031-11-27', '5 years with one leap day (2028) = 1826 days');
  t.equal(code(() => chosenExpiry({ validFor: 'P999999999Y' }, today)), 'ExpiryTooFar:validFor', 'beyond the calendar');
  t.equal(code(() => chosenExpiry({ expiresOn: '2027-02-30' }, today)), 'ExpiryInvalid:expiresOn');
  t.equal(code(() => chosenExpiry({ validFor: 'not a duration' }, today)), 'ExpiryInvalid:validFor');
  t.equal(chosenExpiry({}, today), undefined, 'nothing asked: the caller decides');
});

t.test('from a leap day, the latest allowed is 28 Feb five years on', async (t) => {
  const leap = date('2028-02-29');
  t.equal(chosenExpiry({ expiresOn: '2033-02-28' }, leap)?.toString(), '2033-02-28');
  t.equal(code(() => chosenExpiry({ expiresOn: '2033-03-01' }, leap)), 'ExpiryTooFar:expiresOn');
});

t.test('messages name the dates', async (t) => {
  try {
    chosenExpiry({ expiresOn: '2031-11-28' }, today);
  } catch (error) {
    t.equal((error as Error).message, 'The expiry 2031-11-28 is more than 5 years away: the latest allowed is 2031-11-27.');
  }
  try {
    chosenExpiry({ expiresOn: '2026-11-26' }, today);
  } catch (error) {
    t.equal((error as Error).message, 'The expiry 2026-11-26 is in the past: it must be today (2026-11-27) or later.');
  }
});

t.test('expiry is always within [today, today + 5y] or an error (property)', async () => {
  fc.assert(
    fc.property(
      fc.date({ min: new Date('1970-01-01'), max: new Date('2200-12-31'), noInvalidDate: true }),
      fc.integer({ min: -3000, max: 3000 }),
      (when, offset) => {
        const day = Temporal.Instant.fromEpochMilliseconds(when.getTime()).toZonedDateTimeISO('UTC').toPlainDate();
        const asked = day.add({ days: offset });
        try {
          const got = chosenExpiry({ expiresOn: asked.toString() }, day)!;
          return got.equals(asked) && offset >= 0 && Temporal.PlainDate.compare(got, day.add({ years: 5 })) <= 0;
        } catch (error) {
          const c = (error as ApiError).code;
          return (c === 'ExpiryInPast' && offset < 0) || (c === 'ExpiryTooFar' && Temporal.PlainDate.compare(asked, day.add({ years: 5 })) > 0);
        }
      },
    ),
    { numRuns: 3000 },
  );
});

t.test('status table at each boundary', async (t) => {
  const table: [number, string, string][] = [
    [-365, 'Expired', 'Red'], [-1, 'Expired', 'Red'], [0, 'ExpiresSoon', 'Red'], [3, 'ExpiresSoon', 'Red'],
    [4, 'Expiring', 'Orange'], [14, 'Expiring', 'Orange'], [15, 'Active', 'Green'], [1826, 'Active', 'Green'],
  ];
  for (const [left, status, color] of table) t.match(statusFor(left), { status, color }, `daysLeft ${left}`);
  for (const [left] of table) t.same(statusFor(left, false), { status: 'Disabled', color: 'Gray' }, `disabled, daysLeft ${left}: Disabled wins`);
  t.same(STATUS_URGENCY, ['Expired', 'ExpiresSoon', 'Expiring', 'Active', 'Disabled']);
});

t.test('daysLeft = expiresOn − today in whole days', async (t) => {
  const todayDay = epochDay('2026-11-27');
  t.equal(daysLeft('2026-11-27', todayDay), 0);
  t.equal(daysLeft('2026-11-26', todayDay), -1);
  t.equal(daysLeft('2027-11-27', todayDay), 365);
  t.equal(daysLeft('2028-11-27', epochDay('2027-11-27')), 366, 'across 29 Feb 2028');
  t.equal(epochDay('1970-01-01'), 0);
  t.equal(epochDay('0050-03-01') - epochDay('0050-02-28'), 1, 'years below 100 are real years');
  t.equal(epochDay('+010000-01-01') - epochDay('9999-12-31'), 1, 'expanded years too');
  fc.assert(
    fc.property(fc.integer({ min: -700_000, max: 700_000 }), fc.integer({ min: -5000, max: 5000 }), (start, delta) => {
      const a = date('2000-01-01').add({ days: start });
      const b = a.add({ days: delta });
      return daysLeft(b.toString(), epochDay(a.toString())) === a.until(b, { largestUnit: 'days' }).days &&
        epochDay(a.toString()) === Math.round(a.toZonedDateTime('UTC').epochMilliseconds / 86_400_000);
    }),
    { numRuns: 5000 },
  );
});

t.test("today is the date in the vault's time zone, and changes at local midnight", async (t) => {
  const clock = new ManualClock('2026-11-27T22:59:59Z');
  const berlin = new VaultCalendar(clock, 'Europe/Berlin');
  const utc = new VaultCalendar(clock, 'UTC');
  const tokyo = new VaultCalendar(clock, 'Asia/Tokyo');
  t.equal(berlin.today().toString(), '2026-11-27');
  t.equal(utc.today().toString(), '2026-11-27');
  t.equal(tokyo.today().toString(), '2026-11-28');
  clock.advance({ seconds: 1 });
  t.equal(berlin.today().toString(), '2026-11-28', 'midnight in Berlin');
  t.equal(utc.today().toString(), '2026-11-27');
  clock.set('2026-11-20T12:00:00Z');
  t.equal(berlin.today().toString(), '2026-11-20', 'a clock set back is followed');
  t.throws(() => new VaultCalendar(clock, 'Mars/Olympus'), /Unknown time zone 'Mars\/Olympus'/);
  t.equal(new VaultCalendar(clock, 'utc').timeZone, 'UTC');
});
