import net from 'node:net';
import koffi from 'koffi';
import { PIPE_CLIENT_ACCESS, PIPE_CLIENT_ANONYMOUS, PIPE_CLIENT_IDENTIFY } from './windows-security.js';

/**
 * The Win32 calls the daemon and its clients need that Node does not offer, through koffi (an FFI
 * whose npm package carries prebuilt addons: nothing is compiled). A thin shell on purpose: it reads
 * and writes security descriptors, SIDs, locks, pipes and events, and decides nothing; every decision
 * is a pure function of src/platform/windows-security.ts, tested on Linux. docs/security.md says
 * what each call is for; docs/architecture.md, "The platform layer", how this file is tested.
 *
 * Coverage: this file runs only on Windows (and under Wine, in separate processes the coverage of
 * `npm test` cannot see), so it is left out of the coverage count; the Wine suite runs it.
 */
/* c8 ignore start */

// winnt.h, winbase.h, winerror.h
const GENERIC_READ = 0x80000000;
const GENERIC_WRITE = 0x40000000;
const READ_CONTROL = 0x20000;
const FILE_READ_ATTRIBUTES = 0x80;
const FILE_SHARE_READ = 1;
const FILE_SHARE_WRITE = 2;
const CREATE_NEW = 1;
const OPEN_EXISTING = 3;
const OPEN_ALWAYS = 4;
const FILE_ATTRIBUTE_NORMAL = 0x80;
const FILE_FLAG_OPEN_REPARSE_POINT = 0x00200000;
const FILE_FLAG_OVERLAPPED = 0x40000000;
const PIPE_ACCESS_DUPLEX = 3;
const FILE_FLAG_FIRST_PIPE_INSTANCE = 0x00080000;
const PIPE_REJECT_REMOTE_CLIENTS = 8;
const PIPE_UNLIMITED_INSTANCES = 255;
const PIPE_BUFFER_BYTES = 64 * 1024;
const INFINITE = 0xffffffff;
const LOCKFILE_FAIL_IMMEDIATELY = 1;
const LOCKFILE_EXCLUSIVE_LOCK = 2;
const OWNER_SECURITY_INFORMATION = 1;
const GROUP_SECURITY_INFORMATION = 2;
const DACL_SECURITY_INFORMATION = 4;
const PROTECTED_DACL_SECURITY_INFORMATION = 0x80000000;
const SE_FILE_OBJECT = 1;
const SE_KERNEL_OBJECT = 6;
const SDDL_REVISION_1 = 1;
const TOKEN_QUERY = 8;
const TOKEN_USER = 1;
const PROCESS_QUERY_LIMITED_INFORMATION = 0x1000;
export const EVENTLOG_ERROR_TYPE = 1;
export const EVENTLOG_WARNING_TYPE = 2;
const ERROR_FILE_NOT_FOUND = 2;
const ERROR_PATH_NOT_FOUND = 3;
const ERROR_ACCESS_DENIED = 5;
const ERROR_FILE_EXISTS = 80;
const ERROR_ALREADY_EXISTS = 183;
const ERROR_LOCK_VIOLATION = 33;
const ERROR_INSUFFICIENT_BUFFER = 122;
const ERROR_PIPE_BUSY = 231;
const ERROR_NO_DATA = 232;
const ERROR_PIPE_CONNECTED = 535;
const ERROR_IO_PENDING = 997;
const ERROR_NONE_MAPPED = 1332;

/** A Win32 call failed; `code` is its error number (winerror.h). */
class Win32Error extends Error {
  constructor(readonly call: string, readonly code: number) {
    super(`${call} failed with Windows error ${code}`);
    this.name = 'Win32Error';
  }
}

// koffi gives each declared function an untyped signature; these wrappers are the typed surface.
type Native = ((...args: any[]) => any) & { async: (...args: any[]) => void };

const PROTOTYPES = {
  'kernel32.dll': [
    'uint32 __stdcall GetLastError(void)',
    'HANDLE __stdcall GetCurrentProcess(void)',
    'int __stdcall CloseHandle(HANDLE hObject)',
    'void * __stdcall LocalFree(void *hMem)',
    'HANDLE __stdcall CreateFileW(str16 lpFileName, uint32 dwDesiredAccess, uint32 dwShareMode, void *lpSecurityAttributes, uint32 dwCreationDisposition, uint32 dwFlagsAndAttributes, HANDLE hTemplateFile)',
    'int __stdcall CreateDirectoryW(str16 lpPathName, gwk_SECURITY_ATTRIBUTES *lpSecurityAttributes)',
    'int __stdcall LockFileEx(HANDLE hFile, uint32 dwFlags, uint32 dwReserved, uint32 nNumberOfBytesToLockLow, uint32 nNumberOfBytesToLockHigh, _Inout_ gwk_OVERLAPPED *lpOverlapped)',
    'int __stdcall WriteFile(HANDLE hFile, const void *lpBuffer, uint32 nNumberOfBytesToWrite, _Out_ uint32 *lpNumberOfBytesWritten, void *lpOverlapped)',
    'int __stdcall SetEndOfFile(HANDLE hFile)',
    'int __stdcall GetNamedPipeServerProcessId(HANDLE Pipe, _Out_ uint32 *ServerProcessId)',
    'int __stdcall GetNamedPipeClientProcessId(HANDLE Pipe, _Out_ uint32 *ClientProcessId)',
    'HANDLE __stdcall CreateNamedPipeW(str16 lpName, uint32 dwOpenMode, uint32 dwPipeMode, uint32 nMaxInstances, uint32 nOutBufferSize, uint32 nInBufferSize, uint32 nDefaultTimeOut, gwk_SECURITY_ATTRIBUTES *lpSecurityAttributes)',
    'int __stdcall ConnectNamedPipe(HANDLE hNamedPipe, void *lpOverlapped)',
    'int __stdcall DisconnectNamedPipe(HANDLE hNamedPipe)',
    'int __stdcall GetOverlappedResult(HANDLE hFile, void *lpOverlapped, _Out_ uint32 *lpNumberOfBytesTransferred, int bWait)',
    'int __stdcall CancelIoEx(HANDLE hFile, void *lpOverlapped)',
    'HANDLE __stdcall CreateEventW(void *lpEventAttributes, int bManualReset, int bInitialState, void *lpName)',
    'int __stdcall SetEvent(HANDLE hEvent)',
    'int __stdcall ResetEvent(HANDLE hEvent)',
    'uint32 __stdcall WaitForSingleObject(HANDLE hHandle, uint32 dwMilliseconds)',
    'HANDLE __stdcall OpenProcess(uint32 dwDesiredAccess, int bInheritHandle, uint32 dwProcessId)',
    'int __stdcall QueryFullProcessImageNameW(HANDLE hProcess, uint32 dwFlags, _Out_ uint16 *lpExeName, _Inout_ uint32 *lpdwSize)',
    'HANDLE __stdcall GetModuleHandleW(str16 lpModuleName)',
    'void * __stdcall GetProcAddress(HANDLE hModule, const char *lpProcName)',
  ],
  'advapi32.dll': [
    'uint32 __stdcall GetNamedSecurityInfoW(str16 pObjectName, int ObjectType, uint32 SecurityInfo, _Out_ void **ppsidOwner, _Out_ void **ppsidGroup, _Out_ void **ppDacl, _Out_ void **ppSacl, _Out_ void **ppSecurityDescriptor)',
    'uint32 __stdcall SetNamedSecurityInfoW(str16 pObjectName, int ObjectType, uint32 SecurityInfo, void *psidOwner, void *psidGroup, void *pDacl, void *pSacl)',
    'uint32 __stdcall GetSecurityInfo(HANDLE handle, int ObjectType, uint32 SecurityInfo, _Out_ void **ppsidOwner, _Out_ void **ppsidGroup, _Out_ void **ppDacl, _Out_ void **ppSacl, _Out_ void **ppSecurityDescriptor)',
    'int __stdcall ConvertSecurityDescriptorToStringSecurityDescriptorW(void *SecurityDescriptor, uint32 RequestedStringSDRevision, uint32 SecurityInformation, _Out_ void **StringSecurityDescriptor, _Out_ uint32 *StringSecurityDescriptorLen)',
    'int __stdcall ConvertStringSecurityDescriptorToSecurityDescriptorW(str16 StringSecurityDescriptor, uint32 StringSDRevision, _Out_ void **SecurityDescriptor, _Out_ uint32 *SecurityDescriptorSize)',
    'int __stdcall GetSecurityDescriptorDacl(void *pSecurityDescriptor, _Out_ int *lpbDaclPresent, _Out_ void **pDacl, _Out_ int *lpbDaclDefaulted)',
    'int __stdcall OpenProcessToken(HANDLE ProcessHandle, uint32 DesiredAccess, _Out_ HANDLE *TokenHandle)',
    'int __stdcall GetTokenInformation(HANDLE TokenHandle, int TokenInformationClass, void *TokenInformation, uint32 TokenInformationLength, _Out_ uint32 *ReturnLength)',
    'int __stdcall ConvertSidToStringSidW(void *Sid, _Out_ void **StringSid)',
    'int __stdcall ConvertStringSidToSidW(str16 StringSid, _Out_ void **Sid)',
    'int __stdcall LookupAccountNameW(str16 lpSystemName, str16 lpAccountName, void *Sid, _Inout_ uint32 *cbSid, _Out_ uint16 *ReferencedDomainName, _Inout_ uint32 *cchReferencedDomainName, _Out_ int *peUse)',
    'int __stdcall LookupAccountSidW(str16 lpSystemName, void *Sid, _Out_ uint16 *Name, _Inout_ uint32 *cchName, _Out_ uint16 *ReferencedDomainName, _Inout_ uint32 *cchReferencedDomainName, _Out_ int *peUse)',
    'HANDLE __stdcall RegisterEventSourceW(str16 lpUNCServerName, str16 lpSourceName)',
    'int __stdcall ReportEventW(HANDLE hEventLog, uint16 wType, uint16 wCategory, uint32 dwEventID, void *lpUserSid, uint16 wNumStrings, uint32 dwDataSize, str16 *lpStrings, void *lpRawData)',
  ],
} as const;

let bound: Record<string, Native> | undefined;

function api(): Record<string, Native> {
  if (bound) return bound;
  if (process.platform !== 'win32') throw new Error('src/platform/windows.ts runs on Windows only.');
  koffi.pointer('HANDLE', koffi.opaque());
  koffi.struct('gwk_SECURITY_ATTRIBUTES', { nLength: 'uint32', lpSecurityDescriptor: 'void *', bInheritHandle: 'int' });
  koffi.struct('gwk_OVERLAPPED', { Internal: 'uintptr_t', InternalHigh: 'uintptr_t', Offset: 'uint32_t', OffsetHigh: 'uint32_t', hEvent: 'HANDLE' });
  const functions: Record<string, Native> = {};
  for (const [dll, prototypes] of Object.entries(PROTOTYPES)) {
    const library = koffi.load(dll);
    for (const prototype of prototypes) {
      const fn = library.func(prototype) as Native & { info: { name: string } };
      functions[fn.info.name] = fn;
    }
  }
  bound = functions;
  return functions;
}

const lastError = () => api().GetLastError!() as number;
const fail = (call: string, code = lastError()): never => {
  throw new Win32Error(call, code);
};
/** NULL or INVALID_HANDLE_VALUE. */
const invalid = (handle: unknown) => handle === null || koffi.address(handle) === 0xffffffffffffffffn;
const utf16 = (buffer: Uint16Array, chars: number) => Buffer.from(buffer.buffer, buffer.byteOffset, chars * 2).toString('utf16le');

/** A string Windows allocated with LocalAlloc, read and freed. */
function takeLocalString(pointer: unknown): string {
  try {
    return koffi.decode(pointer, 'char16_t', -1) as string;
  } finally {
    api().LocalFree!(pointer);
  }
}

// ---- the one-daemon lock -------------------------------------------------------------------

/**
 * Locks `file` for this process (docs/security.md, "The data dir"): opened sharing read and write, so
 * that a second daemon's open succeeds and its LockFileEx fails with ERROR_LOCK_VIOLATION, which
 * means "held" and nothing else; one byte at offset 2^62 is locked, beyond the pid written at the
 * start, which stays readable. Windows releases it when the process ends, however it ends. A file
 * made here gets the descriptor of `sddl` (createFileWithSecurity explains why explicit).
 * Undefined when another process holds it.
 */
export function lockFile(file: string, sddl: string): { release(): void } | undefined {
  const w = api();
  const handle = withSecurityAttributes(sddl, (attributes) => w.CreateFileW!(file, GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE,
    koffi.as(attributes, 'gwk_SECURITY_ATTRIBUTES *'), OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT, null));
  if (invalid(handle)) fail(`CreateFileW(${file})`);
  const overlapped = { Internal: 0, InternalHigh: 0, Offset: 0, OffsetHigh: 0x40000000, hEvent: null };
  if (!w.LockFileEx!(handle, LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, overlapped)) {
    const code = lastError();
    w.CloseHandle!(handle);
    if (code === ERROR_LOCK_VIOLATION) return undefined;
    fail('LockFileEx', code);
  }
  const pid = Buffer.from(`${process.pid}\n`);
  if (!w.WriteFile!(handle, pid, pid.length, [0], null) || !w.SetEndOfFile!(handle)) {
    const code = lastError();
    w.CloseHandle!(handle);
    fail(`WriteFile(${file})`, code);
  }
  let held = true;
  return {
    release() {
      if (held) w.CloseHandle!(handle);
      held = false;
    },
  };
}

// ---- security descriptors ------------------------------------------------------------------

function descriptorToSddl(descriptor: unknown, info: number): string {
  const out = [null];
  if (!api().ConvertSecurityDescriptorToStringSecurityDescriptorW!(descriptor, SDDL_REVISION_1, info, out, null)) {
    fail('ConvertSecurityDescriptorToStringSecurityDescriptorW');
  }
  return takeLocalString(out[0]);
}

/** The owner, group and DACL of a file or directory, in SDDL. */
export function pathSddl(target: string): string {
  const w = api();
  const info = OWNER_SECURITY_INFORMATION | GROUP_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION;
  const descriptor = [null];
  const error = w.GetNamedSecurityInfoW!(target, SE_FILE_OBJECT, info, null, null, null, null, descriptor) as number;
  if (error) fail(`GetNamedSecurityInfoW(${target})`, error);
  try {
    return descriptorToSddl(descriptor[0], info);
  } finally {
    w.LocalFree!(descriptor[0]);
  }
}

/** The self-relative security descriptor of an SDDL string, in LocalAlloc'd memory: the caller frees it with LocalFree. */
function descriptorOf(sddl: string): unknown {
  const descriptor = [null];
  if (!api().ConvertStringSecurityDescriptorToSecurityDescriptorW!(sddl, SDDL_REVISION_1, descriptor, null)) {
    fail('ConvertStringSecurityDescriptorToSecurityDescriptorW');
  }
  return descriptor[0];
}

/** Runs `use` with the DACL of an SDDL string. */
function withDacl<T>(sddl: string, use: (dacl: unknown) => T): T {
  const w = api();
  const descriptor = [descriptorOf(sddl)];
  try {
    const present = [0];
    const dacl = [null];
    if (!w.GetSecurityDescriptorDacl!(descriptor[0], present, dacl, [0]) || !present[0]) fail('GetSecurityDescriptorDacl');
    return use(dacl[0]);
  } finally {
    w.LocalFree!(descriptor[0]);
  }
}

/** Replaces the DACL of a file or directory with the protected one of `sddl` (nothing inherited from its parent). */
export function setPathDacl(target: string, sddl: string): void {
  withDacl(sddl, (dacl) => {
    const error = api().SetNamedSecurityInfoW!(target, SE_FILE_OBJECT, DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION,
      null, null, dacl, null) as number;
    if (error) fail(`SetNamedSecurityInfoW(${target})`, error);
  });
}

// ---- private files and directories, made with their descriptor ---------------------------------

/** Runs `use` with SECURITY_ATTRIBUTES holding the descriptor of an SDDL string (not inheritable). */
function withSecurityAttributes<T>(sddl: string, use: (attributes: unknown) => T): T {
  const w = api();
  const descriptor = [descriptorOf(sddl)];
  try {
    return use({ nLength: koffi.sizeof('gwk_SECURITY_ATTRIBUTES'), lpSecurityDescriptor: descriptor[0], bInheritHandle: 0 });
  } finally {
    w.LocalFree!(descriptor[0]);
  }
}

/**
 * Makes directory `dir` with the descriptor of `sddl` in one call (docs/security.md, "Windows: the
 * data dir"): it never exists with its parent's inherited access list, so nobody can add a file to
 * it before it is private. False when something is already there (made since the caller looked).
 */
export function createDirectoryWithSecurity(dir: string, sddl: string): boolean {
  return withSecurityAttributes(sddl, (attributes) => {
    if (api().CreateDirectoryW!(dir, attributes)) return true;
    const code = lastError();
    if (code === ERROR_ALREADY_EXISTS) return false;
    return fail(`CreateDirectoryW(${dir})`, code);
  });
}

/**
 * Creates file `file` for writing, only if nothing is there (CREATE_NEW: a file, a link or a junction
 * planted in its place makes it fail with EEXIST, never opened), with the descriptor of `sddl`
 * (owner: this process's account; its DACL explicit, not taken from the directory); a file
 * descriptor Node's fs calls take (uv_open_osfhandle, as connectIdentifyOnly explains).
 */
export function createFileWithSecurity(file: string, sddl: string): number {
  const w = api();
  uvOpenOsfhandle ??= koffi.load(process.execPath).func('int uv_open_osfhandle(HANDLE os_fd)') as Native;
  const handle = withSecurityAttributes(sddl, (attributes) =>
    w.CreateFileW!(file, GENERIC_READ | GENERIC_WRITE, 0, koffi.as(attributes, 'gwk_SECURITY_ATTRIBUTES *'), CREATE_NEW, FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT, null));
  if (invalid(handle)) {
    const code = lastError();
    if (code === ERROR_FILE_EXISTS || code === ERROR_ALREADY_EXISTS) {
      throw Object.assign(new Error(`EEXIST: ${file} already exists, and is not opened`), { code: 'EEXIST', path: file });
    }
    fail(`CreateFileW(${file})`, code);
  }
  const fd = uvOpenOsfhandle(handle) as number;
  if (fd < 0) {
    w.CloseHandle!(handle);
    throw Object.assign(new Error(`uv_open_osfhandle failed (${fd})`), { code: 'EBADF' });
  }
  return fd;
}

// ---- accounts ------------------------------------------------------------------------------

function sidToString(sid: unknown): string {
  const out = [null];
  if (!api().ConvertSidToStringSidW!(sid, out)) fail('ConvertSidToStringSidW');
  return takeLocalString(out[0]);
}

/** The SID of the account this process runs as. */
export function ownSid(): string {
  const sid = processSid(api().GetCurrentProcess!());
  if (sid === undefined) fail('OpenProcessToken');
  return sid!;
}

/** The SID of the user of a process's token, or undefined when Windows does not let us read it. */
function processSid(process: unknown): string | undefined {
  const w = api();
  const token = [null];
  if (!w.OpenProcessToken!(process, TOKEN_QUERY, token)) return undefined;
  try {
    const size = [0];
    w.GetTokenInformation!(token[0], TOKEN_USER, null, 0, size); // asks the size
    const buffer = Buffer.alloc(size[0]!);
    if (!w.GetTokenInformation!(token[0], TOKEN_USER, buffer, buffer.length, size)) fail('GetTokenInformation');
    return sidToString(koffi.decode(buffer, 'void *')); // TOKEN_USER.User.Sid points into the buffer
  } finally {
    w.CloseHandle!(token[0]);
  }
}

/** The SID of an account name ("NT SERVICE\\NintexGateway", "CONTOSO\\svc"), and its name as Windows spells it; undefined when no account has it. */
export function lookupAccountName(name: string): { sid: string; name: string } | undefined {
  const w = api();
  const sidSize = [0];
  const domainSize = [0];
  if (!w.LookupAccountNameW!(null, name, null, sidSize, null, domainSize, [0])) {
    const code = lastError();
    if (code === ERROR_NONE_MAPPED) return undefined;
    if (code !== ERROR_INSUFFICIENT_BUFFER) fail(`LookupAccountNameW(${name})`, code);
  }
  const sid = Buffer.alloc(sidSize[0]!);
  const domain = new Uint16Array(domainSize[0]!);
  if (!w.LookupAccountNameW!(null, name, sid, sidSize, domain, domainSize, [0])) fail(`LookupAccountNameW(${name})`);
  const sidText = sidToString(sid);
  return { sid: sidText, name: lookupAccountSid(sidText) ?? name };
}

/** "DOMAIN\\name" of a SID, or undefined when Windows knows no account for it. */
export function lookupAccountSid(sidText: string): string | undefined {
  const w = api();
  const sid = [null];
  if (!w.ConvertStringSidToSidW!(sidText, sid)) return undefined;
  try {
    const nameSize = [0];
    const domainSize = [0];
    if (!w.LookupAccountSidW!(null, sid[0], null, nameSize, null, domainSize, [0]) && lastError() !== ERROR_INSUFFICIENT_BUFFER) return undefined;
    const name = new Uint16Array(nameSize[0]!);
    const domain = new Uint16Array(domainSize[0]!);
    if (!w.LookupAccountSidW!(null, sid[0], name, nameSize, domain, domainSize, [0])) return undefined;
    const domainText = utf16(domain, domainSize[0]!);
    return domainText ? `${domainText}\\${utf16(name, nameSize[0]!)}` : utf16(name, nameSize[0]!);
  } finally {
    w.LocalFree!(sid[0]);
  }
}

// ---- named pipes ---------------------------------------------------------------------------

function handleDacl(handle: unknown): string {
  const w = api();
  const descriptor = [null];
  const error = w.GetSecurityInfo!(handle, SE_KERNEL_OBJECT, DACL_SECURITY_INFORMATION, null, null, null, null, descriptor) as number;
  if (error) fail('GetSecurityInfo', error);
  try {
    return descriptorToSddl(descriptor[0], DACL_SECURITY_INFORMATION);
  } finally {
    w.LocalFree!(descriptor[0]);
  }
}

/**
 * The DACL of pipe `pipe` as any client can read it (opening it connects once, sending nothing; at
 * the Anonymous level, as no identity is needed: docs/security.md, "Windows: the pipe").
 */
export function pipeDacl(pipe: string): string {
  const w = api();
  const handle = w.CreateFileW!(pipe, READ_CONTROL, 0, null, OPEN_EXISTING, PIPE_CLIENT_ANONYMOUS, null);
  if (invalid(handle)) fail(`CreateFileW(${pipe})`);
  try {
    return handleDacl(handle);
  } finally {
    w.CloseHandle!(handle);
  }
}

export interface PipeHolder {
  /** The holder's Windows process id and executable, when Windows tells. */
  pid?: number;
  image?: string;
}

/**
 * Who serves pipe `pipe`: undefined when no process does; else its process id and executable
 * where Windows can tell (the holder may deny us even that). Opening it connects once and sends
 * nothing, at the Anonymous level: the daemon at start and `install` ask (often as SYSTEM or an
 * elevated admin), and a squatter must not be able to act as them (docs/security.md, "Windows: the pipe").
 */
export function pipeHolder(pipe: string): PipeHolder | undefined {
  const w = api();
  let handle: unknown;
  for (const access of [GENERIC_READ, FILE_READ_ATTRIBUTES]) {
    handle = w.CreateFileW!(pipe, access, 0, null, OPEN_EXISTING, PIPE_CLIENT_ANONYMOUS, null);
    if (!invalid(handle)) break;
    const code = lastError();
    if (code === ERROR_FILE_NOT_FOUND || code === ERROR_PATH_NOT_FOUND) return undefined;
    if (code !== ERROR_ACCESS_DENIED) return {}; // busy, or refused: taken all the same
  }
  if (invalid(handle)) return {};
  try {
    const pid = [0];
    if (!w.GetNamedPipeServerProcessId!(handle, pid)) return {};
    return { pid: pid[0], image: processImage(pid[0]!) };
  } finally {
    w.CloseHandle!(handle);
  }
}

function processImage(pid: number): string | undefined {
  const w = api();
  const process = w.OpenProcess!(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid);
  if (invalid(process)) return undefined;
  try {
    const buffer = new Uint16Array(32768);
    const size = [buffer.length];
    return w.QueryFullProcessImageNameW!(process, 0, buffer, size) ? utf16(buffer, size[0]!) : undefined;
  } finally {
    w.CloseHandle!(process);
  }
}

let uvOpenOsfhandle: Native | undefined;

/** A pipe HANDLE as a net.Socket: libuv takes it over (and closes it) through uv_open_osfhandle, which node.exe exports. */
function socketOf(handle: unknown): net.Socket {
  uvOpenOsfhandle ??= koffi.load(process.execPath).func('int uv_open_osfhandle(HANDLE os_fd)') as Native;
  const fd = uvOpenOsfhandle(handle) as number;
  if (fd < 0) {
    api().CloseHandle!(handle);
    throw Object.assign(new Error(`uv_open_osfhandle failed (${fd})`), { code: 'EBADF' });
  }
  return new net.Socket({ fd, readable: true, writable: true });
}

/** The server's process id of each pipe connection this process opened, as Windows told it (GetNamedPipeServerProcessId). */
const serverPids = new WeakMap<net.Socket, number>();

/** The process id Windows gives for the server end of a connection made by connectIdentifyOnly. */
export const serverPidOf = (socket: net.Socket): number | undefined => serverPids.get(socket);

/**
 * Connects to pipe `pipe` so that its server may identify this client but never act as it
 * (SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION; docs/security.md, "Windows: the pipe"). libuv's
 * own connect passes no quality-of-service flags, which Windows takes as SecurityImpersonation: a
 * process that took the pipe's name could then act as the admin who connects. It asks only for the
 * rights a client needs (PIPE_CLIENT_ACCESS: no FILE_CREATE_PIPE_INSTANCE, which the pipe's DACL no
 * longer grants). The server's process id is kept for the handshake's endpoint binding (serverPidOf).
 * The handle becomes a net.Socket through uv_open_osfhandle, which node.exe exports (its C runtime is
 * static, so the system's _open_osfhandle would fill another descriptor table). A busy pipe is
 * retried until `timeoutMs`; a missing one fails at once with ENOENT, a refused one with EACCES.
 */
export async function connectIdentifyOnly(pipe: string, timeoutMs: number): Promise<net.Socket> {
  const w = api();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const handle = w.CreateFileW!(pipe, PIPE_CLIENT_ACCESS, 0, null, OPEN_EXISTING, FILE_FLAG_OVERLAPPED | PIPE_CLIENT_IDENTIFY, null);
    if (!invalid(handle)) {
      const pid = [0];
      const known = w.GetNamedPipeServerProcessId!(handle, pid);
      const socket = socketOf(handle);
      if (known) serverPids.set(socket, pid[0]!);
      return socket;
    }
    const code = lastError();
    if (code !== ERROR_PIPE_BUSY || Date.now() >= deadline) {
      const reason = code === ERROR_FILE_NOT_FOUND ? 'ENOENT' : code === ERROR_ACCESS_DENIED ? 'EACCES' : code === ERROR_PIPE_BUSY ? 'TIMEOUT' : `WIN32_${code}`;
      throw Object.assign(new Win32Error(`CreateFileW(${pipe})`, code), { reason });
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// ---- the daemon's pipe instances ----------------------------------------------------------

/** The client of a connection the daemon accepted, as Windows tells: its process id, and its account's SID where Windows lets us read it. */
export interface PipeClient {
  pid: number;
  sid?: string;
}

const pipeClients = new WeakMap<net.Socket, PipeClient>();

/** The client of a connection made by listenPipe. */
export const pipeClientOf = (socket: net.Socket): PipeClient | undefined => pipeClients.get(socket);

export interface PipeListener {
  /** The DACL of the pipe as Windows reads it back from the listening instance. */
  readBackDacl(): string;
  /** Stops listening; the connections handed over are their sockets' to close. */
  close(): Promise<void>;
}

/**
 * Serves pipe `pipe` with instances this process makes itself (docs/architecture.md, "The Windows
 * pipe server"), instead of libuv's: each is created with the protected DACL of `sddl` from the
 * start (no moment with a default DACL), PIPE_REJECT_REMOTE_CLIENTS, and the first with
 * FILE_FLAG_FIRST_PIPE_INSTANCE, so the name is refused (code EADDRINUSE) when another process
 * serves it. ConnectNamedPipe is overlapped and waited for on a worker thread (koffi's async call);
 * a connected instance gets its successor before it is handed over, so the name stays served. For
 * each connection, Windows gives the client's process id (the handshake's endpoint binding) and,
 * through that process's token, its account (pipeClientOf), while the server HANDLE is still ours;
 * then libuv takes the HANDLE over and `accept` gets a net.Socket.
 */
export function listenPipe(pipe: string, sddl: string, accept: (socket: net.Socket) => void, failed: (error: Error) => void): PipeListener {
  const w = api();
  const descriptor = [descriptorOf(sddl)];
  const attributes = { nLength: koffi.sizeof('gwk_SECURITY_ATTRIBUTES'), lpSecurityDescriptor: descriptor[0], bInheritHandle: 0 };
  const instance = (first: boolean): unknown => {
    const handle = w.CreateNamedPipeW!(pipe, PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED | (first ? FILE_FLAG_FIRST_PIPE_INSTANCE : 0),
      PIPE_REJECT_REMOTE_CLIENTS, PIPE_UNLIMITED_INSTANCES, PIPE_BUFFER_BYTES, PIPE_BUFFER_BYTES, 0, attributes);
    if (invalid(handle)) {
      const code = lastError();
      throw Object.assign(new Win32Error(`CreateNamedPipeW(${pipe})`, code), first && code === ERROR_ACCESS_DENIED ? { code: 'EADDRINUSE' } : {});
    }
    return handle;
  };
  let listening: unknown;
  try {
    listening = instance(true);
  } catch (error) {
    w.LocalFree!(descriptor[0]);
    throw error;
  }
  const event = w.CreateEventW!(null, 1, 0, null);
  const overlapped = koffi.alloc('gwk_OVERLAPPED', 1);
  let closing = false;
  const waited = (): Promise<void> => new Promise((resolve, reject) => {
    w.WaitForSingleObject!.async(event, INFINITE, (error: Error | null) => (error ? reject(error) : resolve()));
  });

  /** Waits for a client on the listening instance; false when closing. */
  const connected = async (): Promise<boolean> => {
    for (;;) {
      w.ResetEvent!(event);
      koffi.encode(overlapped, 'gwk_OVERLAPPED', { Internal: 0, InternalHigh: 0, Offset: 0, OffsetHigh: 0, hEvent: event });
      let code = w.ConnectNamedPipe!(listening, overlapped) ? ERROR_PIPE_CONNECTED : lastError();
      if (code === ERROR_IO_PENDING) {
        await waited();
        if (closing) {
          w.CancelIoEx!(listening, overlapped);
          w.GetOverlappedResult!(listening, overlapped, [0], 1); // the cancelled call is done with `overlapped`
          return false;
        }
        code = w.GetOverlappedResult!(listening, overlapped, [0], 0) ? ERROR_PIPE_CONNECTED : lastError();
      }
      if (code === ERROR_PIPE_CONNECTED) return true;
      if (code !== ERROR_NO_DATA) fail('ConnectNamedPipe', code);
      w.DisconnectNamedPipe!(listening); // the client left before it was accepted: wait for the next
    }
  };

  const handOver = (handle: unknown): void => {
    const pid = [0];
    if (!w.GetNamedPipeClientProcessId!(handle, pid)) {
      w.CloseHandle!(handle);
      return; // the client is gone already
    }
    const client = w.OpenProcess!(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid[0]);
    let sid: string | undefined;
    if (!invalid(client)) {
      sid = processSid(client);
      w.CloseHandle!(client);
    }
    let socket: net.Socket;
    try {
      socket = socketOf(handle);
    } catch {
      return; // libuv would not take the HANDLE (socketOf closed it): this client sees a broken pipe, the next is served
    }
    pipeClients.set(socket, { pid: pid[0]!, sid });
    accept(socket);
  };

  const served = (async () => {
    try {
      while (await connected()) {
        const handle = listening;
        listening = undefined;
        try {
          listening = instance(false);
        } finally {
          handOver(handle); // even when no successor could be made: this client was accepted
        }
      }
    } catch (error) {
      if (!closing) failed(error as Error);
    } finally {
      if (listening !== undefined) w.CloseHandle!(listening);
      w.CloseHandle!(event);
      koffi.free(overlapped);
      w.LocalFree!(descriptor[0]);
    }
  })();

  return {
    readBackDacl: () => handleDacl(listening ?? fail('CreateNamedPipeW')),
    close() {
      closing = true;
      w.SetEvent!(event);
      return served;
    },
  };
}

// ---- the Application event log -------------------------------------------------------------

let eventSource: unknown;

/**
 * Writes one event to the Application log under the source `source`, with `message` as its one
 * string (the source's EventMessageFile, registered by `gateway-apikeys install`, shows it whole).
 * False when Windows refused; never throws, so a logging failure stops nothing.
 */
export function reportEvent(source: string, type: number, eventId: number, message: string): boolean {
  try {
    const w = api();
    eventSource ??= w.RegisterEventSourceW!(null, source);
    if (eventSource === null) return false;
    return Boolean(w.ReportEventW!(eventSource, type, 0, eventId, null, 1, 0, [message], null));
  } catch {
    return false;
  }
}

// ---- Wine ----------------------------------------------------------------------------------

let wine: string | null | undefined;

/** Wine's version when this process runs under Wine (its ntdll exports wine_get_version), else undefined. */
export function wineVersion(): string | undefined {
  if (wine === undefined) {
    const w = api();
    const ntdll = w.GetModuleHandleW!('ntdll.dll');
    const entry = ntdll === null ? null : w.GetProcAddress!(ntdll, 'wine_get_version');
    wine = entry === null ? null : (koffi.call(entry, koffi.proto('const char *gwk_wine_get_version(void)')) as string);
  }
  return wine ?? undefined;
}
/* c8 ignore stop */
