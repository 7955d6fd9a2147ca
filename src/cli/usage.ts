/** A mistake in the command line itself: exit code 2 and the usage. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const USAGE = `gateway-apikeys: the API key vault of the integration gateway.

Daemon:
  gateway-apikeys serve [--data-dir DIR] [--pipe PATH] [--time-zone ZONE] [--log-level LEVEL] [--passphrase-file FILE]
                        [--pipe-allow ACCOUNT]...   (Windows: only these accounts may open the pipe; by name or SID)
  gateway-apikeys stop                      (asks the running daemon to stop cleanly: daemon.shutdown)

Windows install (elevated; the single executable):
  gateway-apikeys install [--pipe-allow ACCOUNT]... [--data-dir DIR] [--pipe PIPE] [--no-start]
                                            (to %ProgramFiles%, a scheduled task running serve as SYSTEM at start-up, the event source)
  gateway-apikeys uninstall                 (the task and the event source; the keys stay)

Keys (a thin client of the running daemon):
  gateway-apikeys list   [--name PATTERN] [--status S[,S…]] [--sort-by COLUMN] [--descending] [--as-of DATE] [--offset N] [--limit N]
  gateway-apikeys get    NAME
  gateway-apikeys new    NAME [--description TEXT] [--expires-on DATE | --valid-for DURATION]
  gateway-apikeys set    NAME [--new-name NAME] [--description TEXT] [--expires-on DATE | --valid-for DURATION]
  gateway-apikeys reveal NAME
  gateway-apikeys rotate NAME [--grace HOURS]  (a new value now; the old one keeps working for HOURS, 24 by default)
  gateway-apikeys disable NAME [--reason TEXT]
  gateway-apikeys enable NAME
  gateway-apikeys usage  NAME               (which connectors use the key: first and last use, how often)
  gateway-apikeys remove NAME [--yes]       (the prompt says what uses the key)
  gateway-apikeys verify                    (the key from standard input, or typed at a prompt: never an argument)
  gateway-apikeys status
  gateway-apikeys audit  [--since WHEN] [--until WHEN] [--key-name NAME] [--event EVENT] [--limit N] | --verify
  gateway-apikeys backup --out FILE [--force] [--passphrase-file FILE]
      every key, values and history included, sealed with a passphrase (the file, else GATEWAY_APIKEYS_BACKUP_PASSPHRASE, else typed twice)

Offline (no daemon on the data dir):
  gateway-apikeys rekey  [--data-dir DIR] [--to-key-file]
      seals master.key with a new passphrase (GATEWAY_APIKEYS_NEW_PASSPHRASE, else typed twice), or back to a key file;
      the current passphrase of a sealed vault from GATEWAY_APIKEYS_PASSPHRASE, else typed
  gateway-apikeys restore FILE [--data-dir DIR] [--passphrase-file FILE]
      into a new or empty data dir, under a new master key (sealed when GATEWAY_APIKEYS_PASSPHRASE is set);
      the backup's passphrase from GATEWAY_APIKEYS_BACKUP_PASSPHRASE, else typed
  gateway-apikeys restore --verify FILE [--passphrase-file FILE]  (checks the file and its passphrase, says what it holds; writes nothing)

Changing a key's value without downtime: 'rotate NAME --grace 24h' gives the key a new value at once while
  the old one keeps working for 24 hours; give the new value to each connector 'usage NAME' lists, then let
  the grace run out. A second rotation ends the first one's grace at once.

Client options: --json (machine-readable output), --data-dir DIR, --pipe PATH, --token-file FILE.
  DURATION: a number and d, w, m or y (7d, 30d, 60d, 90d, 180d, 1y), or ISO 8601 (P6M). DATE: YYYY-MM-DD.
  STATUS: Active, Expiring, ExpiresSoon, Expired, Disabled. COLUMN: name, expiresOn, lastUsedAt, status, createdAt.
  HOURS: whole hours from 0 to 168, bare or with h (24, 24h), or whole days with d (2d); 0 ends the old value at once.
  WHEN: YYYY-MM-DD (its first instant in UTC) or an RFC 3339 instant.

Environment: GATEWAY_APIKEYS_DATA_DIR, GATEWAY_APIKEYS_PIPE, GATEWAY_APIKEYS_TOKEN, GATEWAY_APIKEYS_PASSPHRASE, GATEWAY_APIKEYS_NEW_PASSPHRASE,
  GATEWAY_APIKEYS_BACKUP_PASSPHRASE,
  GATEWAY_APIKEYS_NOW (test aid: start the daemon's clock at an RFC 3339 instant).

Exit codes: 0 done; 1 the daemon refused or cannot be reached, or a backup is invalid (BackupInvalid) or its passphrase wrong (PassphraseWrong); 2 bad command line; 3 verify: the key is not valid,
  or audit --verify: the trail is broken.
`;
