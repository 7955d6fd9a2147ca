import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import t from 'tap';
import {
  describeFinding, gatewayTokenSddl, isTrustedOwner, ownerOf, parseAccountSpec, parseSddl, PipeAllowError, pipeSddl, privacyOf, privateDirectoryFix, privateDirectorySddl,
  privateFileSddl, samePipeDacl, SddlError, SID, sidOf, FILE_CREATE_PIPE_INSTANCE, PIPE_CLIENT_ACCESS, PIPE_CLIENT_ANONYMOUS, PIPE_CLIENT_IDENTIFY, PIPE_CONNECT_MASK,
  SECURITY_ANONYMOUS, SECURITY_IDENTIFICATION, SECURITY_SQOS_PRESENT,
} from '../src/platform/windows-security.js';
import { ROOT } from './helpers/daemon.js';

// The Windows decisions of docs/security.md ("Windows"), on descriptors recorded on real Windows
// folders: Wine cannot show them, so this is where "the data dir would be left readable by Users"
// and "the pipe would grant Everyone" fail.
const recorded = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/windows-sddl.json'), 'utf8')) as {
  ownSid: string;
  folders: Record<string, { what: string; sddl: string }>;
};
const own = recorded.ownSid;
const sddlOf = (name: string) => recorded.folders[name]!.sddl;
const verdict = (name: string) => privacyOf(sddlOf(name), own);

t.test('SDDL: owner, group, DACL flags and entries, rights as letters or hex, aliases as SIDs', async (t) => {
  const parsed = parseSddl(sddlOf('freshProgramDataSubfolder'));
  t.equal(parsed.owner, SID.administrators);
  t.equal(parsed.group, SID.system);
  t.same(parsed.dacl?.flags, ['AI']);
  t.same(parsed.dacl?.aces.map((ace) => [ace.type, ace.flags.join(''), ace.mask.toString(16), ace.sid]), [
    ['A', 'OICIID', '1f01ff', SID.system],
    ['A', 'OICIID', '1f01ff', SID.administrators],
    ['A', 'OICIIOID', '10000000', SID.creatorOwner],
    ['A', 'OICIID', '1200a9', SID.users],
    ['A', 'CIID', '116', SID.users],
  ]);
  t.same(parseSddl('D:PAI(A;;FA;;;SY)S:PAINO_ACCESS_CONTROL').dacl?.flags, ['P', 'AI'], 'a SACL after the DACL is skipped');
  t.same(parseSddl('D:NO_ACCESS_CONTROL').dacl?.nullAcl, true);
  t.equal(parseSddl('O:S-1-5-21-1-2-3-1001G:DUD:').owner, 'S-1-5-21-1-2-3-1001');
  t.equal(parseSddl('D:(XA;;FR;;;WD;(@User.Title=="PM"))(A;;FA;;;SY)').dacl?.aces.length, 2, 'a conditional entry\'s own parentheses');
  t.equal(sidOf('s-1-5-18'), 'S-1-5-18');
  for (const bad of ['D:(A;;FA;;;SY', 'D:(A;;FA)', 'D:(A;;QQ;;;SY)', 'D:(A;;FAX;;;SY)', 'D:(A;O;FA;;;SY)', 'X:', 'O:']) {
    t.throws(() => parseSddl(bad), SddlError, bad);
  }
});

t.test('a fresh %ProgramData% subfolder is not private: Users may read it and change it, through inheritance', async (t) => {
  const { findings, protectedDacl } = verdict('freshProgramDataSubfolder');
  t.notOk(protectedDacl);
  t.same(findings, [{ sid: SID.users, can: ['read', 'write'], inherited: true }]);
  t.equal(describeFinding(findings[0]!, () => undefined), 'BUILTIN\\Users (S-1-5-32-545) may read it and may change it');
  t.equal(describeFinding(findings[0]!, () => 'VORDEFINIERT\\Benutzer'), 'VORDEFINIERT\\Benutzer (S-1-5-32-545) may read it and may change it',
    'the name Windows gives, in its language; the SID always');
  t.same(privateDirectoryFix('C:\\ProgramData\\Nintex\\Gateway', own, findings), [
    `icacls "C:\\ProgramData\\Nintex\\Gateway" /inheritance:r /grant:r "*S-1-5-18:(OI)(CI)F" "*S-1-5-32-544:(OI)(CI)F" "*${own}:(OI)(CI)F"`,
  ], 'inherited entries go with the inheritance: one command');
});

t.test('a folder that grants Users read is refused even when protected; one for SYSTEM, Administrators and the daemon is not', async (t) => {
  t.same(verdict('usersReadProtected').findings, [{ sid: SID.users, can: ['read'], inherited: false }]);
  t.ok(verdict('usersReadProtected').protectedDacl);
  t.same(verdict('protectedProgramDataFixUp').findings, [{ sid: SID.users, can: ['read'], inherited: false }], 'GR is read; CREATOR OWNER is no other account');
  t.same(privateDirectoryFix('D:\\vault', own, verdict('usersReadProtected').findings).at(-1), 'icacls "D:\\vault" /remove:g "*S-1-5-32-545"',
    'an explicit entry needs removing');
  t.same(verdict('protectedPrivate'), { findings: [], protectedDacl: true });
  t.same(privacyOf(sddlOf('protectedPrivate'), 'S-1-5-20').findings, [{ sid: own, can: ['read', 'write'], inherited: false }],
    'the same folder is not private to another daemon account (NETWORK SERVICE)');
});

t.test('every recorded folder but the private one lets someone else in; denials never make a folder private', async (t) => {
  for (const [name, { what, sddl }] of Object.entries(recorded.folders)) {
    t.equal(privacyOf(sddl, own).findings.length === 0, name === 'protectedPrivate', `${name}: ${what}`);
  }
  t.same(verdict('shareWithGuestsDenied').findings.map((f) => f.sid), [SID.users], 'the Guests denial changes nothing; Users may read');
  t.same(verdict('driveRoot').findings.map((f) => [f.sid, f.can]), [[SID.authenticatedUsers, ['read', 'write']], [SID.users, ['read']]]);
  t.same(verdict('conditionalEveryone').findings.map((f) => f.sid), [SID.everyone], 'a conditional entry may grant: it counts');
  t.same(verdict('programData').findings.map((f) => f.sid), [SID.users]);
});

t.test('an owner who is not trusted can rewrite the list: refused, and the fix gives the folder to Administrators', async (t) => {
  const stranger = 'S-1-5-21-1-2-3-1077';
  const sddl = `O:${stranger}G:SYD:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FA;;;${own})`;
  const { findings } = privacyOf(sddl, own);
  t.same(findings, [{ sid: stranger, can: ['own'], inherited: false }]);
  t.equal(describeFinding(findings[0]!, () => 'CONTOSO\\mallory'), 'CONTOSO\\mallory (S-1-5-21-1-2-3-1077) owns it');
  t.equal(privateDirectoryFix('D:\\v', own, findings).at(-1), 'icacls "D:\\v" /setowner "*S-1-5-32-544"');
  t.same(privacyOf('O:SYD:PAI(A;OICI;FA;;;SY)', own).findings, [], 'SYSTEM, Administrators or the daemon may own it');
});

t.test('no DACL at all, or a NULL one, is everyone\'s', async (t) => {
  for (const sddl of ['O:BAG:SY', 'O:BAG:SYD:NO_ACCESS_CONTROL']) {
    t.same(privacyOf(sddl, own).findings, [{ sid: SID.everyone, can: ['read', 'write'], inherited: false }], sddl);
  }
});

t.test('rights that neither read nor change content are allowed to others; each read or write right alone is not', async (t) => {
  for (const harmless of ['0x100080' /* read attributes, synchronize */, 'RC' /* read control */, '0x20' /* traverse */, 'GX']) {
    t.same(privacyOf(`D:P(A;;${harmless};;;BU)`, own).findings, [], harmless);
  }
  for (const [right, can] of [['0x1', 'read'], ['0x8', 'read'], ['GR', 'read'], ['0x2', 'write'], ['0x4', 'write'], ['0x10', 'write'], ['0x40', 'write'],
    ['0x100', 'write'], ['SD', 'write'], ['WD', 'write'], ['WO', 'write'], ['GW', 'write'], ['0x2000000', 'read']] as const) {
    t.same(privacyOf(`D:P(A;OICIIO;${right};;;AU)`, own).findings[0]?.can.includes(can), true, `${right}: ${can}, even inherit-only`);
  }
});

t.test('the data dir\'s own DACL: protected, SYSTEM, Administrators and the daemon, inherited by what is made in it; private by the same rule', async (t) => {
  t.equal(privateDirectorySddl(own), `D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FA;;;${own})`);
  t.equal(privateDirectorySddl(SID.system), 'D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)', 'a daemon running as SYSTEM: no entry twice');
  fc.assert(fc.property(fc.constantFrom(own, SID.system, 'S-1-5-20', 'S-1-5-80-1-2-3-4-5'), (sid) => privacyOf(`O:BA${privateDirectorySddl(sid)}`, sid).findings.length === 0));
});

t.test('the pipe: by default every authenticated local account may connect, the network is denied first, Everyone never', async (t) => {
  t.equal(pipeSddl(own), `D:P(D;;FA;;;NU)(A;;FA;;;SY)(A;;FA;;;BA)(A;;FA;;;${own})(A;;0x12019b;;;AU)`);
  const aces = parseSddl(pipeSddl(own)).dacl!.aces;
  t.same(aces[0], { type: 'D', flags: [], mask: 0x1f01ff, sid: SID.network }, 'the deny comes first, as Windows checks in order');
  t.notOk(aces.some((ace) => ace.sid === SID.everyone || ace.sid === SID.anonymous), 'neither Everyone nor anonymous logons');
  const connect = aces.find((ace) => ace.sid === SID.authenticatedUsers)!.mask;
  t.equal(connect, 0x12019b, 'connect = FILE_GENERIC_READ | FILE_GENERIC_WRITE without FILE_CREATE_PIPE_INSTANCE, no WRITE_DAC');
  t.equal(connect & FILE_CREATE_PIPE_INSTANCE, 0, 'a connector cannot create an instance of the name (a relay could take the next client)');
  t.equal(connect, PIPE_CONNECT_MASK);
});

t.test('this project\'s client ends: only the rights a client needs, and never a level a squatter could act with (recorded by source: Wine grants SecurityImpersonation whatever the client asks, measured)', async (t) => {
  const GENERIC_WRITE = 0x40000000;
  t.equal(PIPE_CLIENT_ACCESS, 0x100183, 'read and write data, read and write attributes, synchronize');
  t.equal(PIPE_CLIENT_ACCESS & (FILE_CREATE_PIPE_INSTANCE | GENERIC_WRITE), 0, 'no FILE_CREATE_PIPE_INSTANCE, no GENERIC_WRITE (which holds it)');
  t.equal(PIPE_CLIENT_ACCESS & ~PIPE_CONNECT_MASK, 0, 'all of it granted by the DACL of a connector');
  t.equal(PIPE_CLIENT_IDENTIFY, SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION, 'talking to what answers: Identification, said explicitly');
  t.equal(PIPE_CLIENT_ANONYMOUS, SECURITY_SQOS_PRESENT | SECURITY_ANONYMOUS, 'asking Windows about the pipe: Anonymous');
  // Recorded-call seam, by source: every CreateFileW of src/platform/windows.ts that opens a pipe passes one of the two.
  const source = fs.readFileSync(path.join(ROOT, 'src/platform/windows.ts'), 'utf8');
  const opens = [...source.matchAll(/CreateFileW!\(([^;]*?)\);/gs)].map((m) => m[1]!.replace(/\s+/g, ' '));
  const pipeOpens = opens.filter((args) => /^pipe,/.test(args));
  t.equal(pipeOpens.length, 3, 'the client, pipeHolder and pipeDacl open the pipe');
  for (const args of pipeOpens) t.match(args, /PIPE_CLIENT_(IDENTIFY|ANONYMOUS)/, args);
  t.notMatch(source, /const SECURITY_/, 'no flags of its own beside them');
});

t.test('the pipe with --pipe-allow: only SYSTEM, Administrators, the daemon and the accounts listed', async (t) => {
  const gateway = 'S-1-5-80-1234-5678-91011-1213-1415';
  t.equal(pipeSddl(own, [gateway, gateway.toLowerCase()]),
    `D:P(D;;FA;;;NU)(A;;FA;;;SY)(A;;FA;;;BA)(A;;FA;;;${own})(A;;0x12019b;;;${gateway})`, 'each account once');
  t.notMatch(pipeSddl(own, [gateway]), /;AU\)/, 'Authenticated Users no longer');
  t.equal(pipeSddl(SID.system, [SID.system, 'S-1-5-20']), 'D:P(D;;FA;;;NU)(A;;FA;;;SY)(A;;FA;;;BA)(A;;0x12019b;;;NS)', 'the daemon itself keeps full control');
  for (const never of [SID.everyone, SID.anonymous, SID.network, SID.guests, SID.nullSid]) {
    t.throws(() => pipeSddl(own, [gateway, never]), PipeAllowError, `${never} is refused`);
  }
});

t.test('property: whatever accounts are allowed, the pipe never grants Everyone or anonymous logons, and denies the network first', async (t) => {
  const sid = fc.oneof(
    fc.array(fc.integer({ min: 0, max: 2 ** 32 - 1 }), { minLength: 1, maxLength: 6 }).map((parts) => `S-1-5-${parts.join('-')}`),
    fc.constantFrom(SID.users, SID.authenticatedUsers, SID.system, SID.administrators, 'S-1-5-20', 'S-1-5-19', own),
  );
  fc.assert(fc.property(fc.array(sid, { maxLength: 5 }), fc.constantFrom(own, SID.system, 'S-1-5-20'), (allow, daemon) => {
    let sddl: string;
    try {
      sddl = pipeSddl(daemon, allow);
    } catch (error) {
      return error instanceof PipeAllowError;
    }
    const aces = parseSddl(sddl).dacl!.aces;
    return aces[0]!.type === 'D' && aces[0]!.sid === SID.network &&
      aces.every((ace) => ace.type === 'D' || (ace.sid !== SID.everyone && ace.sid !== SID.anonymous && ace.sid !== SID.network));
  }), { numRuns: 2000 });
});

t.test('a DACL read back is compared entry by entry, generic rights mapped, P flag or not', async (t) => {
  const wanted = pipeSddl(own);
  t.ok(samePipeDacl(wanted.replace('D:P', 'D:'), wanted), 'Windows may drop P when reading a kernel object\'s DACL back');
  t.ok(samePipeDacl(`D:(D;;GA;;;NU)(A;;GA;;;SY)(A;;FA;;;BA)(A;;GA;;;${own})(A;;0x12019b;;;AU)`, wanted), 'GA is FA');
  t.notOk(samePipeDacl(`D:(D;;GA;;;NU)(A;;GA;;;SY)(A;;FA;;;BA)(A;;GA;;;${own})(A;;GRGW;;;AU)`, wanted),
    'GRGW is 0x12019f, which lets a connector create instances: not the DACL made');
  t.notOk(samePipeDacl(`${wanted}(A;;GRGW;;;WD)`, wanted), 'an Everyone entry more');
  t.notOk(samePipeDacl('', wanted), 'nothing at all (a pipe whose DACL was not set)');
  t.notOk(samePipeDacl(wanted.replace('(D;;FA;;;NU)', ''), wanted), 'the network no longer denied');
});

t.test('--pipe-allow takes a SID (as icacls writes it, too) or an account name', async (t) => {
  t.same(parseAccountSpec('S-1-5-20'), { kind: 'sid', sid: 'S-1-5-20', text: 'S-1-5-20' });
  t.same(parseAccountSpec('*s-1-5-80-1-2'), { kind: 'sid', sid: 'S-1-5-80-1-2', text: '*s-1-5-80-1-2' });
  t.same(parseAccountSpec(' NT SERVICE\\NintexGateway '), { kind: 'name', name: 'NT SERVICE\\NintexGateway', text: ' NT SERVICE\\NintexGateway ' });
  t.same(parseAccountSpec('svc-gateway@contoso.com'), { kind: 'name', name: 'svc-gateway@contoso.com', text: 'svc-gateway@contoso.com' });
  for (const bad of ['', '  ', 'CONTOSO\\a:b', 'x*', 'a"b', 'tab\there']) t.throws(() => parseAccountSpec(bad), PipeAllowError, JSON.stringify(bad));
});

t.test('owners (the first start\'s race): an entry of the data dir must be SYSTEM\'s, Administrators\' or the daemon\'s; a directory on the way may also be TrustedInstaller\'s', async (t) => {
  const trustedInstaller = 'S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464';
  t.equal(ownerOf(sddlOf('programData')), SID.system);
  t.equal(ownerOf(sddlOf('freshProgramDataSubfolder')), SID.administrators);
  t.equal(ownerOf(`O:${own.toLowerCase()}D:`), own, 'a SID, in capitals');
  t.equal(ownerOf('D:P(A;;FA;;;SY)'), undefined, 'no owner in the descriptor');
  const cases: [string | undefined, 'entry' | 'ancestor', boolean][] = [
    [SID.system, 'entry', true], [SID.administrators, 'entry', true], [own, 'entry', true], [own.toLowerCase(), 'entry', true],
    [trustedInstaller, 'entry', false], [trustedInstaller, 'ancestor', true],
    [SID.users, 'entry', false], [SID.users, 'ancestor', false], [SID.authenticatedUsers, 'ancestor', false], [SID.everyone, 'entry', false],
    [SID.anonymous, 'entry', false], [SID.creatorOwner, 'entry', false], [SID.ownerRights, 'ancestor', false],
    ['S-1-5-21-3623811015-3361044348-30300820-1014', 'entry', false], ['S-1-5-21-3623811015-3361044348-30300820-1014', 'ancestor', false],
    [undefined, 'entry', false], [undefined, 'ancestor', false],
  ];
  for (const [owner, what, trusted] of cases) t.equal(isTrustedOwner(owner, own, what), trusted, `${owner ?? 'no owner'} as ${what}`);
  t.equal(isTrustedOwner(ownerOf(sddlOf('driveRoot')), own, 'ancestor'), true, 'C:\\ as recorded (SYSTEM)');
  const planted = `O:S-1-5-21-3623811015-3361044348-30300820-1014D:PAI(A;;FA;;;SY)(A;;FA;;;BA)(A;;FA;;;${own})`;
  t.same(privacyOf(planted, own).findings.map((f) => f.can), [['own']], 'a planted file with a private-looking DACL is still its maker\'s: found by owner');
  t.equal(isTrustedOwner(ownerOf(planted), own, 'entry'), false);
});

t.test('a file the daemon makes carries its own protected DACL: the three trusted accounts, nothing inherited, nothing handed on', async (t) => {
  const sddl = privateFileSddl(own.toLowerCase());
  t.equal(sddl, `D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FA;;;${own})`);
  t.same(privacyOf(sddl, own), { findings: [], protectedDacl: true });
  t.equal(privateFileSddl(SID.system), 'D:P(A;;FA;;;SY)(A;;FA;;;BA)', 'a daemon running as SYSTEM: no entry twice');
  t.notOk(parseSddl(sddl).dacl?.aces.some((ace) => ace.flags.length > 0), 'no inheritance flags (a file hands nothing down)');
});

t.test('--gateway-account: gateway.token gets one entry reading it for that account, and exactly that entry is accepted', async (t) => {
  const gateway = 'S-1-5-80-1111111111-2222222222-3333333333-4444444444-5555555555';
  const sddl = gatewayTokenSddl(own, gateway.toLowerCase());
  t.equal(sddl, `D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FA;;;${own})(A;;FR;;;${gateway})`);
  t.same(privacyOf(sddl, own, gateway).findings, [], 'accepted with the flag');
  t.same(privacyOf(sddl, own).findings, [{ sid: gateway, can: ['read'], inherited: false }], 'found without it: the account is named');
  t.equal(gatewayTokenSddl(own, 'S-1-5-20'), `D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FA;;;${own})(A;;FR;;;NS)`, 'a well-known account by its alias');
  const variants: [string, string][] = [
    ['reading as Windows reads it back (mapped rights)', `(A;;0x120089;;;${gateway})`],
    ['reading data alone', `(A;;0x1;;;${gateway})`],
  ];
  for (const [what, ace] of variants) t.same(privacyOf(`D:P(A;;FA;;;SY)${ace}`, own, gateway).findings, [], what);
  const broader: [string, string, string[]][] = [
    ['full control', `(A;;FA;;;${gateway})`, ['read', 'write']],
    ['read and write', `(A;;FRFW;;;${gateway})`, ['read', 'write']],
    ['generic all', `(A;;GA;;;${gateway})`, ['read', 'write']],
    ['read, inherited (not the daemon\'s own entry)', `(A;ID;FR;;;${gateway})`, ['read']],
    ['read, handed down (inheritable)', `(A;OICI;FR;;;${gateway})`, ['read']],
    ['read, conditional', `(XA;;FR;;;${gateway};(@User.Title=="PM"))`, ['read']],
    ['read and delete', `(A;;0x130089;;;${gateway})`, ['read', 'write']],
  ];
  for (const [what, ace, can] of broader) t.same(privacyOf(`D:P(A;;FA;;;SY)${ace}`, own, gateway).findings.map((f) => f.can), [can], `${what} is found even with the flag`);
  t.same(privacyOf(`D:P(A;;FA;;;SY)(A;;FR;;;BU)`, own, gateway).findings.map((f) => f.sid), [SID.users], 'another account reading is found: the flag names one account');
  t.same(privacyOf(`O:${gateway}D:P(A;;FA;;;SY)(A;;FR;;;${gateway})`, own, gateway).findings.map((f) => f.can), [['own']], 'the gateway owning it is found');
});
