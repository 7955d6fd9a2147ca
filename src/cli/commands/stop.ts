import type { SessionCommand } from '../command.js';

/** How long `stop` waits for the daemon to close the connection once it has said it is stopping. */
const STOP_WAIT_MS = 30_000;

/**
 * `daemon.shutdown` (admin role), the clean stop of Ctrl+C or SIGTERM, for Windows, which has no
 * SIGTERM (docs/protocol.md). It returns once the daemon has closed this connection: it then takes
 * no more requests and finishes saving and compacting within moments.
 */
export const stopCommand: SessionCommand = {
  name: 'stop',
  group: 'Daemon',
  summary: 'asks the running daemon to stop cleanly (daemon.shutdown), on every platform',
  session: true,
  options: {},
  async run(client, invocation) {
    // On a connection of its own, to see the daemon close it.
    const { result, closed } = await client.withConnection(async (connection) => ({
      result: await connection.request('daemon.shutdown', {}),
      closed: await Promise.race([
        connection.closed.then(() => true),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), STOP_WAIT_MS).unref()),
      ]),
    }));
    invocation.io.out(invocation.flags.json ? JSON.stringify(result, null, 2) : closed
      ? `The daemon at ${client.pipe} stopped taking requests; it saves last-used times, compacts and releases its data directory.`
      : `The daemon at ${client.pipe} is stopping, but still had this connection open after ${STOP_WAIT_MS / 1000} s.`);
    return closed ? 0 : 1;
  },
};
