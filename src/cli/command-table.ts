import type { Command } from './command.js';
import { auditCommand } from './commands/audit.js';
import { backupCommand } from './commands/backup.js';
import { disableCommand } from './commands/disable.js';
import { enableCommand } from './commands/enable.js';
import { farmInitCommand, farmJoinCommand, farmStatusCommand } from './commands/farm.js';
import { getCommand } from './commands/get.js';
import { installCommand } from './commands/install.js';
import { listCommand } from './commands/list.js';
import { newCommand } from './commands/new.js';
import { rekeyCommand } from './commands/rekey.js';
import { removeCommand } from './commands/remove.js';
import { restoreCommand } from './commands/restore.js';
import { revealCommand } from './commands/reveal.js';
import { rotateCommand } from './commands/rotate.js';
import { serveCommand } from './commands/serve.js';
import { setCommand } from './commands/set.js';
import { statusCommand } from './commands/status.js';
import { stopCommand } from './commands/stop.js';
import { uninstallCommand } from './commands/uninstall.js';
import { usageCommand } from './commands/usage.js';
import { verifyCommand } from './commands/verify.js';

/**
 * Every command of the executable, in the order the help lists them: parsing, the help and the
 * errors all read this one table (docs/architecture.md, "The command line"). A command's file
 * loads what is heavy (the daemon, the vault) only when it runs, so `--version` and the thin
 * client never load the daemon.
 */
export const COMMANDS: readonly Command[] = [
  serveCommand, stopCommand,
  listCommand, getCommand, newCommand, setCommand, revealCommand, rotateCommand, disableCommand, enableCommand,
  usageCommand, removeCommand, verifyCommand, statusCommand, auditCommand,
  backupCommand, restoreCommand, rekeyCommand,
  farmInitCommand, farmJoinCommand, farmStatusCommand,
  installCommand, uninstallCommand,
];
