import { type Flags, given, type OptionSpec, text } from './command.js';
import { date, validity } from './option-values.js';

/** The options of `new` and `set` that say what a key is: its description and its expiry. */
export const KEY_OPTIONS: Record<string, OptionSpec> = {
  description: { type: 'string', value: 'TEXT', help: 'what the key is for (at most 4000 characters)', field: 'description' },
  'expires-on': { type: 'string', value: 'DATE', help: 'the last day it is valid, YYYY-MM-DD', field: 'expiresOn', parse: (typed, option) => date(typed, option, 'ExpiryInvalid') },
  'valid-for': { type: 'string', value: 'DURATION', help: 'how long from today: 7d, 30d, 60d, 90d, 180d, 1y, any number and d/w/m/y, or ISO 8601 (P6M)', field: 'validFor', parse: validity },
};

/** The params those options set. */
export function keyParams(flags: Flags): { description?: string; expiresOn?: string; validFor?: string } {
  const description = text(flags, 'description');
  const expiresOn = given<string>(flags, 'expires-on');
  const validFor = given<string>(flags, 'valid-for');
  return { ...(description !== undefined && { description }), ...(expiresOn !== undefined && { expiresOn }), ...(validFor !== undefined && { validFor }) };
}
