import type { SortColumn, Status } from '../../generated/schemas.js';
import { given, print, type SessionCommand, text } from '../command.js';
import { choice, choices, choicesOf, date, wholeNumber } from '../option-values.js';
import { counted, keyTable } from '../output.js';

const STATUSES = choicesOf('apiKey.list', 'status');
const COLUMNS = choicesOf('apiKey.list', 'sortBy');

export const listCommand: SessionCommand = {
  name: 'list',
  group: 'Keys',
  summary: 'the keys, with their status in colour; every key unless filtered',
  session: true,
  options: {
    name: { type: 'string', value: 'PATTERN', help: 'names matching a wildcard pattern (* and ?), whatever the case', field: 'name' },
    'literal-name': {
      type: 'string', value: 'NAME', help: 'the key of exactly this name, whatever the case: * and ? are ordinary characters (not with --name)',
      field: 'literalName',
    },
    status: {
      type: 'string', value: 'S[,S…]', help: `only these statuses: ${STATUSES.join(', ')} (any case)`, field: 'status',
      parse: (typed, option) => choices(typed, option, STATUSES),
    },
    'sort-by': { type: 'string', value: 'COLUMN', help: `sort by ${COLUMNS.join(', ')}`, field: 'sortBy', parse: (typed, option) => choice(typed, option, COLUMNS) },
    descending: { type: 'boolean', help: 'sort the other way', field: 'descending' },
    'as-of': { type: 'string', value: 'DATE', help: 'status as of that day: a preview that changes nothing', field: 'asOf', parse: date },
    offset: { type: 'string', value: 'N', help: 'skip the first N matches', field: 'offset', parse: wholeNumber },
    limit: { type: 'string', value: 'N', help: 'show at most N', field: 'limit', parse: wholeNumber },
  },
  async run(client, invocation) {
    const { flags } = invocation;
    const name = text(flags, 'name');
    const literalName = text(flags, 'literal-name');
    const status = given<Status[]>(flags, 'status');
    const sortBy = given<SortColumn>(flags, 'sort-by');
    const asOf = given<string>(flags, 'as-of');
    const offset = given<number>(flags, 'offset');
    const limit = given<number>(flags, 'limit');
    const result = await client.request('apiKey.list', {
      ...(name !== undefined && { name }),
      ...(literalName !== undefined && { literalName }),
      ...(status !== undefined && { status }),
      ...(sortBy !== undefined && { sortBy }),
      ...(flags.descending === true && { descending: true }),
      ...(asOf !== undefined && { asOf }),
      ...(offset !== undefined && { offset }),
      ...(limit !== undefined && { limit }),
    });
    print(invocation, result, () =>
      result.total === 0 ? 'No API keys match.' : `${keyTable(result.items, invocation.color)}\n${result.items.length} of ${counted(result.total, 'key')}`);
    return 0;
  },
};
