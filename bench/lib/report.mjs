// bench/results.md from bench/results.json: each figure beside its baseline and target.
const check = (ok) => (ok ? 'met' : '**missed**');

export function markdown(r) {
  const load = r.loadAverageAtStart ? ` Load average (1, 5, 15 min) ${r.loadAverageAtStart.join(', ')} at the start, ${r.loadAverageAtEnd.join(', ')} at the end.` : '';
  const lines = [`# Benchmark results`, '', `${r.machine}; ${r.date}${r.tiny ? ' — TINY RUN: checks the code only, the numbers mean nothing' : ''}.${load}`, ''];
  if (r.rpc) {
    lines.push('## connector.authenticate over the socket, against a bare server', '',
      'Bare server: parses each Content-Length frame and its JSON and answers a fixed result (bench/lib/bare-server.mjs). Same lean client for both; medians of alternating rounds.', '',
      '| shape | daemon req/s | bare req/s | ratio | daemon p50 / p99 ms | bare p50 / p99 ms | p99 ratio |', '| --- | --- | --- | --- | --- | --- | --- |');
    for (const x of r.rpc) {
      lines.push(`| ${x.shape} | ${x.daemon.perSecond} | ${x.bare.perSecond} | ${x.throughputRatio} | ${x.daemon.p50Ms} / ${x.daemon.p99Ms} | ${x.bare.p50Ms} / ${x.bare.p99Ms} | ${x.p99Ratio} |`);
    }
    const at64 = r.rpc.find((x) => x.shape === '64 in flight, 1 connection');
    const at1 = r.rpc.find((x) => x.shape.startsWith('1 in'));
    const spread = r.rpc.find((x) => x.shape === '8 connections × 8 in flight');
    lines.push('', 'Targets:', '',
      `- throughput ≥ 0.6 × bare at 64 in flight, 1 connection (issue 24): ${at64.throughputRatio} — ${check(at64.throughputRatio >= 0.6)}`,
      `- throughput ≥ 0.8 × bare at 8 connections × 8 in flight (issue 24): ${spread.throughputRatio} — ${check(spread.throughputRatio >= 0.8)}`,
      `- p99 at 64 in flight ≤ 1.5 × bare's: ${at64.p99Ratio} — ${check(at64.p99Ratio <= 1.5)}`,
      `- p99 at 1 in flight ≤ 0.5 ms: ${at1.daemon.p99Ms} ms — ${check(at1.daemon.p99Ms <= 0.5)}`);
    // Recording uses per connector, and a rotated key's previous value, cost at most a tenth.
    for (const lifecycle of r.rpc.filter((x) => x.shape.startsWith('64 in flight, 1 connection,'))) {
      const kept = Math.round((lifecycle.throughputRatio / at64.throughputRatio) * 100) / 100;
      lines.push(`- ${lifecycle.shape.slice('64 in flight, 1 connection, '.length)}: ≥ 0.9 × the ratio without: ${kept} — ${check(kept >= 0.9)}`);
    }
    lines.push('');
  }
  if (r.rpcC) {
    const c = r.rpcC;
    lines.push('## connector.authenticate against a C server, driven from C', '',
      'The C pair of bench/c, built with cc: an epoll server on a Unix socket answering every Content-Length frame with a fixed frame, '
      + 'and a load generator keeping requests in flight on connections opened (and, for the daemon, given a gateway session) by the bench. '
      + 'The same load generator drives both; medians of alternating rounds.', '');
    if (c.skipped) {
      lines.push(`Skipped: ${c.skipped}.`, '');
    } else {
      lines.push('| shape | daemon req/s | C server req/s | ratio |', '| --- | --- | --- | --- |',
        `| ${c.inFlight} in flight, ${c.connections} connection | ${c.daemonPerSecond} | ${c.cServerPerSecond} | ${c.ratio} |`, '',
        'Target:', '', `- throughput ≥ 0.25 × the C server (issue 24): ${c.ratio} — ${check(c.ratio >= 0.25)}`, '');
    }
  }
  if (r.client) {
    const c = r.client;
    lines.push('## The Node client', '',
      `connector.authenticate at ${c.inFlight} in flight through GatewayClient (gateway-apikeys/client), against the lean session it is built on (src/client/connect.ts) `
      + `on one pipelined connection; medians of ${c.rounds} alternating rounds.`, '',
      '| client | req/s | vs lean |', '| --- | --- | --- |',
      `| lean session, 1 connection | ${c.leanPerSecond} | 1 |`,
      `| GatewayClient, maxConnections 1 | ${c.singlePerSecond} | ${c.singleRatio} |`,
      `| GatewayClient, its default pool (4) | ${c.pooledPerSecond} | ${c.pooledRatio} |`, '',
      'Targets:', '',
      `- GatewayClient of one connection ≥ 0.9 × the lean session: ${c.singleRatio} — ${check(c.singleRatio >= 0.9)}`,
      `- GatewayClient's default pool ≥ 0.9 × the lean session: ${c.pooledRatio} — ${check(c.pooledRatio >= 0.9)}`, '');
  }
  if (r.hostile) {
    lines.push('## Hostile clients', '',
      'The gateway\'s connector.authenticate round trip (1 in flight) while another local process floods the pipe (bench/lib/flood.mjs), '
      + 'against the same measure with no flood just before; medians of alternating rounds; and the daemon\'s resident memory growth under the flood.', '',
      '| flood | p99 quiet ms | p99 flooded ms | ratio | daemon RSS growth MiB |', '| --- | --- | --- | --- | --- |');
    const what = {
      unread: 'a stranger sends tiny invalid bodies and never reads the answers',
      hellos: '8 connections send 1 MiB hellos, reconnecting',
      stalled: '500 connections start a 1 MiB frame and stop, reconnecting',
      nested: 'an admin sends 60 KB frames nested 30,000 deep',
    };
    for (const x of r.hostile) {
      lines.push(x.skipped ? `| ${what[x.flood] ?? x.flood} | skipped: ${x.skipped} | | | |` : `| ${what[x.flood] ?? x.flood} | ${x.quietP99Ms} | ${x.floodedP99Ms} | ${x.p99Ratio} | ${x.rssGrowthMiB} |`);
    }
    lines.push('');
  }
  if (r.scale) {
    lines.push('## Scale', '',
      'Each size with `node dist/cli.js serve` and, when `npm run package` has made it, the single executable admins install. '
      + 'Start: from spawning the process until it serves, median of 3. List: the whole vault sorted by name, from request to the last byte received, '
      + 'median of the lists after the first (the first also sorts the keys by name); the client\'s `JSON.parse` of the answer (median) is shown apart. '
      + 'Changes: sequential requests, each acknowledged after fsync. RSS: the daemon\'s resident memory after start, and after the lists and changes.', '',
      '| keys | daemon | start ms | RSS after start MiB | first list ms | list all ms | client parse ms | create ms (median / mean) | update ms | delete ms | mean cost vs smallest (c/u/d) | RSS after MiB |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const x of r.scale) {
      lines.push(`| ${x.keys} | ${x.daemon} | ${x.startMs} | ${x.rssAfterStartMiB} | ${x.firstListMs} | ${x.listAllMs} | ${x.clientParseMs} | ${x.create.medianMs} / ${x.create.meanMs} | ${x.update.medianMs} / ${x.update.meanMs} | ${x.delete.medianMs} / ${x.delete.meanMs} | ${x.vsSmallest.create} / ${x.vsSmallest.update} / ${x.vsSmallest.delete} | ${x.rssAfterWorkMiB} |`);
    }
    const largest = Math.max(...r.scale.map((x) => x.keys));
    for (const big of r.scale.filter((x) => x.keys === largest)) {
      const smallest = Math.min(...r.scale.map((x) => x.keys));
      const cost = Math.max(big.vsSmallest.create, big.vsSmallest.update, big.vsSmallest.delete);
      const executable = big.daemon === 'executable';
      const startTarget = executable ? 400 : 500;
      lines.push('', `Targets at ${big.keys} keys, ${big.daemon} (issue 24; the ratios against ${smallest} keys, same daemon, same run):`, '',
        `- change cost ≤ 1.5 × at ${smallest}: ${cost} — ${check(cost <= 1.5)}`,
        `- start ≤ ${startTarget} ms: ${big.startMs} ms — ${check(big.startMs <= startTarget)}`,
        `- start ≤ 1.3 × start at ${smallest} keys: ${big.vsSmallest.start} — ${check(big.vsSmallest.start <= 1.3)}`,
        `- RSS after start ≤ 100 MiB: ${big.rssAfterStartMiB} MiB — ${check(big.rssAfterStartMiB <= 100)}`,
        `- RSS after start ≤ 400 bytes per key more than at ${smallest}: ${big.rssBytesPerKey.afterStart} — ${check(big.rssBytesPerKey.afterStart <= 400)}`,
        `- RSS after lists and changes ≤ 150 MiB: ${big.rssAfterWorkMiB} MiB — ${check(big.rssAfterWorkMiB <= 150)}`,
        `- RSS after lists and changes ≤ 600 bytes per key more than at ${smallest}: ${big.rssBytesPerKey.afterWork} — ${check(big.rssBytesPerKey.afterWork <= 600)}`,
        `- first list of all ≤ 300 ms: ${big.firstListMs} ms — ${check(big.firstListMs <= 300)}`,
        `- first list of all ≤ 1.5 × the client's JSON.parse of it (${big.clientParseMs} ms): ${big.firstListVsParse} — ${check(big.firstListVsParse <= 1.5)}`,
        `- later lists of all ≤ 100 ms: ${big.listAllMs} ms — ${check(big.listAllMs <= 100)}`);
    }
    lines.push('');
  }
  if (r.backup) {
    lines.push('## Backup and restore', '',
      'Through the real CLI, from start to exit, the Argon2id derivation (3 passes, 256 MiB) included: `backup --out FILE` from the running daemon, '
      + '`restore FILE --data-dir DIR` offline. Authenticate: the gateway\'s round trips (1 in flight) for as long as the backup ran, against the same measure just before it.', '',
      '| keys | file MiB | backup s | keys/s | restore s | keys/s | authenticate p99 before ms | during ms | ratio | slowest during ms |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const x of r.backup) {
      lines.push(`| ${x.keys} | ${x.fileMiB} | ${x.backupSeconds} | ${x.backupKeysPerSecond} | ${x.restoreSeconds} | ${x.restoreKeysPerSecond} | ${x.quietP99Ms} | ${x.duringP99Ms} | ${x.p99Ratio} | ${x.duringMaxMs} |`);
    }
    lines.push('');
  }
  if (r.farm) {
    const f = r.farm;
    lines.push('## Farm', '');
    if (f.skipped) {
      lines.push(`Skipped: ${f.skipped}.`, '');
    } else {
      lines.push(`A farm of ${f.hosts} hosts made by \`farm init --from-data-dir\` and \`farm join\` (docs/farm.md) on a PostgreSQL of the bench's own (${f.postgres}, on loopback, fsync on), `
        + 'beside a single-host daemon on a vault of the same size (100 keys), all on this machine; each daemon with its defaults (a 2 s backstop poll, uses flushed every 5 s).', '',
        '### A change on one host, seen on another', '',
        'From host A\'s answer to an admin change to host B\'s first `connector.authenticate` answer showing it, B asked one request after another from the moment A answered. '
        + 'Each key is created (its value authenticates on B), rotated with no grace (the old value fails), disabled (the new value answers Disabled), then deleted (it answers Unknown). '
        + 'B often has the change before A\'s answer is back: then its first answer shows it, and the delay is one round trip to B.', '',
        '| change on A | changes | p50 ms | p99 ms | slowest ms | shown at B\'s first answer | not seen within 10 s |', '| --- | --- | --- | --- | --- | --- | --- |');
      for (const x of f.propagation) lines.push(`| ${x.change} | ${x.count} | ${x.p50Ms} | ${x.p99Ms} | ${x.maxMs} | ${x.atFirstAnswer} | ${x.unseen} |`);
      const slowest = Math.max(...f.propagation.map((x) => x.p99Ms ?? Infinity));
      const unseen = f.propagation.reduce((n, x) => n + x.unseen, 0);
      lines.push('', `Target: seen on every host within a second (issue 25), p99 ≤ 1000 ms of every kind, none unseen: ${slowest} ms, ${unseen} unseen — ${check(slowest <= 1000 && unseen === 0)}`, '',
        '### Changes on a farm host against a single host', '',
        'Sequential admin requests on one connection, each acknowledged once durable: a farm host\'s commits in the database, then in its own journal; a single host\'s in its journal. Alternating rounds.', '',
        '| method | changes each | farm median / p99 ms | single host median / p99 ms | median ratio | p99 ratio |', '| --- | --- | --- | --- | --- | --- |');
      for (const x of f.writes) lines.push(`| ${x.method} | ${x.farm.count} | ${x.farm.medianMs} / ${x.farm.p99Ms} | ${x.single.medianMs} / ${x.single.p99Ms} | ${x.medianRatio} | ${x.p99Ratio} |`);
      const a = f.authenticate;
      lines.push('', '### connector.authenticate on a farm host against a single host', '',
        `${a.inFlight} in flight, ${a.connections} connection, the lean client of the rpc section; medians of ${a.rounds} alternating rounds.`, '',
        '| farm host req/s | single host req/s | ratio |', '| --- | --- | --- |', `| ${a.farmPerSecond} | ${a.singlePerSecond} | ${a.ratio} |`, '',
        `Target: a farm host authenticates within 10% of a single host (issue 25), ratio ≥ 0.9: ${a.ratio} — ${check(a.ratio >= 0.9)}`, '');
      const u = f.usageFlush;
      const extra = Math.round((u.busy.writeTransactionsPerSecond - u.quiet.writeTransactionsPerSecond) * 100) / 100;
      lines.push('### The database\'s writes while a farm host authenticates', '',
        `Host A authenticates as fast as the bench drives it (${u.connections} connections, ${u.inFlight} in flight, each connection a key of its own with a connectorId) for ${u.busy.seconds} s, `
        + `against ${u.quiet.seconds} s with no authentications just before. Commits and rows written (inserted + updated): pg_stat_database's counters, each read after ${u.settleSeconds} s of quiet `
        + '(PostgreSQL adds a backend\'s counts up to 10 s late), the quiet rate taken off the busy window\'s settling. Writing transactions (transaction ids handed out) and WAL: exact.', '',
        '| window | authentications/s | commits/s | rows written/s | writing transactions/s | WAL KiB/s |', '| --- | --- | --- | --- | --- | --- |');
      for (const [label, x] of [['no authentications', u.quiet], ['authenticating', u.busy]]) {
        lines.push(`| ${label} | ${x.authenticationsPerSecond} | ${x.commitsPerSecond} | ${x.rowsWrittenPerSecond} | ${x.writeTransactionsPerSecond} | ${x.walKiBPerSecond} |`);
      }
      lines.push('', `Target: the database's write rate does not follow the request rate (uses flushed every 5 s, one transaction a host), at most 1 writing transaction a second more than with no authentications: `
        + `${extra} more at ${u.busy.authenticationsPerSecond} authentications/s — ${check(extra <= 1)}`, '');
    }
  }
  if (r.executable) {
    lines.push('## The executable', '');
    if (r.executable.skipped) lines.push(`Skipped: ${r.executable.skipped}.`, '');
    else lines.push(`Cold start of \`gateway-apikeys --version\` ${r.executable.exeMs} ms against the bare Node binary of the same version (\`-e 0\`) ${r.executable.nodeMs} ms: ratio ${r.executable.ratio} (target ≤ 1.5 — ${check(r.executable.ratio <= 1.5)}).`, '');
  }
  if (r.powershell) {
    lines.push('## PowerShell', '');
    if (r.powershell.skipped) lines.push(`Skipped: ${r.powershell.skipped}.`, '');
    else {
      lines.push(`100 \`Get-GatewayApiKey -Name x\` in one session ${r.powershell.cmdletMs} ms against 100 raw framed requests from the same session ${r.powershell.rawMs} ms: ratio ${r.powershell.ratio} (target ≤ 1.5 — ${check(r.powershell.ratio <= 1.5)}).`, '');
      lines.push(`\`Get-GatewayApiKey\` of all ${r.powershell.listKeys} keys to objects ${r.powershell.listMs} ms (target ≤ 500 ms — ${check(r.powershell.listMs <= 500)}), against a raw apiKey.list of all, framed, read and parsed with ConvertFrom-Json, ${r.powershell.rawListMs} ms in the same session: ratio ${Math.round((r.powershell.listMs / r.powershell.rawListMs) * 100) / 100}`
        + (r.powershell.rawListReadMs === undefined ? '.' : `; the same frame read and decoded but not parsed ${r.powershell.rawListReadMs} ms.`)
        + (r.powershell.loadAverage === undefined ? '' : ` Load average over the last minute when the run ended: ${r.powershell.loadAverage}.`), '');
    }
  }
  if (r.dotnet) {
    lines.push('## The .NET client', '');
    if (r.dotnet.skipped) {
      lines.push(`Skipped: ${r.dotnet.skipped}.`, '');
    } else {
      lines.push((r.dotnetDate ? `Measured ${r.dotnetDate} (the sections above on the date at the top). ` : '') + 'connector.authenticate through `GatewayApiKeysClient` (clients/dotnet, one connection) against the project\'s Node client '
        + '(src/client/connect.ts on src/rpc/client.ts, one connection) on the same daemon, and the same calls through StreamJsonRpc '
        + '(HeaderDelimitedMessageHandler, System.Text.Json) by the same .NET process kind; medians of alternating rounds. '
        + 'Each client warms up for at least 2 s before its measured run, and the .NET app then until its JIT has compiled nothing for 1 s '
        + '(tier-1 recompilation on a loaded machine went on for seconds, and a long-running gateway is past it)'
        + (r.dotnetLoad ? `; load average ${r.dotnetLoad.before} before the rounds and ${r.dotnetLoad.after} after, on ${r.dotnetLoad.cores} cores.` : '.'), '',
      '| shape | Node client req/s | .NET client req/s | StreamJsonRpc req/s | .NET / Node | StreamJsonRpc / .NET | Node p50 / p99 ms | .NET p50 / p99 ms | StreamJsonRpc p50 / p99 ms | .NET p99 / Node p99 |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
      for (const x of r.dotnet) {
        lines.push(`| ${x.shape} | ${x.node.perSecond} | ${x.dotnet.perSecond} | ${x.streamJsonRpc.perSecond} | ${x.throughputRatio} | ${x.streamJsonRpcThroughputRatio} | `
          + `${x.node.p50Ms} / ${x.node.p99Ms} | ${x.dotnet.p50Ms} / ${x.dotnet.p99Ms} | ${x.streamJsonRpc.p50Ms} / ${x.streamJsonRpc.p99Ms} | ${x.p99Ratio} |`);
      }
      const at64 = r.dotnet.find((x) => x.shape.startsWith('64 in'));
      const at1 = r.dotnet.find((x) => x.shape.startsWith('1 in'));
      const cost = (x) => Math.round((1 - x.streamJsonRpcThroughputRatio) * 100);
      const worst = Math.max(cost(at64), cost(at1));
      lines.push('', 'Targets:', '',
        `- throughput at 64 in flight ≥ 0.9 × the Node client's: ${at64.throughputRatio} — ${check(at64.throughputRatio >= 0.9)}`,
        `- p99 at 1 in flight ≤ 1.2 × the Node client's: ${at1.p99Ratio} — ${check(at1.p99Ratio <= 1.2)}`,
        `- StreamJsonRpc costs ${cost(at64)}% of the lean client's throughput at 64 in flight and ${cost(at1)}% at 1 in flight: `
          + `${worst > 20 ? 'over 20%, so the client frames by hand (docs/architecture.md, "The .NET client")' : 'within 20% in both'}`, '');
    }
  }
  return lines.join('\n');
}
