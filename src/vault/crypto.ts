import sodium from 'sodium-native';
import { randomBytes } from '../shared/random.js';

/**
 * The libsodium primitives the vault uses, each in one place:
 * - XChaCha20-Poly1305 (AEAD) for everything at rest, with a random 24-byte nonce per message;
 * - keyed BLAKE2b for the lookup index of key values;
 * - keys in sodium_malloc memory (guarded pages, never swapped out where mlock is allowed).
 */

const KEY_BYTES = sodium.crypto_aead_xchacha20poly1305_ietf_KEYBYTES;
export const NONCE_BYTES = sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
export const TAG_BYTES = sodium.crypto_aead_xchacha20poly1305_ietf_ABYTES;
const LOOKUP_TAG_BYTES = 32;

/**
 * A buffer for secret bytes that are wiped after use (a raw key on its way into secure memory).
 * V8 keeps a small Buffer's bytes on its own heap, whose collector copies objects and leaves the old
 * copy behind, so wiping would miss those; the bytes of an ArrayBuffer of its own stay where they
 * are (docs/security.md, "Process memory").
 */
export function wipeableBytes(length: number): Buffer {
  return Buffer.from(new ArrayBuffer(length));
}

/** A 32-byte key held in sodium_malloc memory, read-only once made. */
export class SecretKey {
  private disposed = false;

  private constructor(private readonly bytes: Buffer) {
    sodium.sodium_mprotect_readonly(bytes);
  }

  static generate(): SecretKey {
    const bytes = sodium.sodium_malloc(KEY_BYTES);
    sodium.randombytes_buf(bytes);
    return new SecretKey(bytes);
  }

  /** Copies `source` into secure memory; `source` stays as it is. */
  static copyOf(source: Uint8Array): SecretKey {
    if (source.length !== KEY_BYTES) throw new RangeError(`a key has ${KEY_BYTES} bytes`);
    const bytes = sodium.sodium_malloc(KEY_BYTES);
    bytes.set(source);
    return new SecretKey(bytes);
  }

  /** Copies `source` into secure memory and wipes `source`. */
  static takeFrom(source: Uint8Array): SecretKey {
    if (source.length !== KEY_BYTES) throw new RangeError(`a key has ${KEY_BYTES} bytes`);
    const bytes = sodium.sodium_malloc(KEY_BYTES);
    bytes.set(source);
    sodium.sodium_memzero(source);
    return new SecretKey(bytes);
  }

  /** A subkey for one purpose (BLAKE2b KDF): the master key itself never encrypts anything. */
  derive(subkeyId: number, context: string): SecretKey {
    const ctx = Buffer.from(context, 'ascii');
    if (ctx.length !== sodium.crypto_kdf_CONTEXTBYTES) throw new RangeError('a KDF context has 8 characters');
    return this.use((key) => {
      const bytes = sodium.sodium_malloc(KEY_BYTES);
      sodium.crypto_kdf_derive_from_key(bytes, subkeyId, ctx, key);
      return new SecretKey(bytes);
    });
  }

  /** Lends the raw bytes to a libsodium call; they must not be copied or kept. */
  use<T>(fn: (bytes: Buffer) => T): T {
    // Freed secure memory is unmapped: a use after dispose would end the process, not throw.
    if (this.disposed) throw new Error('a key was used after it was disposed');
    return fn(this.bytes);
  }

  /** Wipes and frees the key; a second call does nothing (a second sodium_free would end the process). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    sodium.sodium_mprotect_readwrite(this.bytes);
    sodium.sodium_memzero(this.bytes);
    sodium.sodium_free(this.bytes);
  }
}

/** nonce ‖ ciphertext ‖ tag of `plaintext`, bound to `associatedData`. */
export function seal(key: SecretKey, plaintext: Uint8Array, associatedData: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(NONCE_BYTES + plaintext.length + TAG_BYTES);
  const nonce = out.subarray(0, NONCE_BYTES);
  sodium.randombytes_buf(nonce);
  key.use((k) =>
    sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(out.subarray(NONCE_BYTES), plaintext, associatedData, null, nonce, k),
  );
  return out;
}

/**
 * The plaintext of a sealed message, or null when it fails authentication (altered, or another
 * key). `inPlace` decrypts over the ciphertext (libsodium allows it), sparing a copy of a large file.
 */
export function open(key: SecretKey, sealed: Buffer, associatedData: Uint8Array, inPlace = false): Buffer | null {
  if (sealed.length < NONCE_BYTES + TAG_BYTES) return null;
  const length = sealed.length - NONCE_BYTES - TAG_BYTES;
  const plaintext = inPlace ? sealed.subarray(NONCE_BYTES, NONCE_BYTES + length) : Buffer.allocUnsafe(length);
  try {
    key.use((k) =>
      sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
        plaintext, null, sealed.subarray(NONCE_BYTES), associatedData, sealed.subarray(0, NONCE_BYTES), k,
      ),
    );
    return plaintext;
  } catch {
    return null;
  }
}

/** Keyed BLAKE2b: the index under which a key value is found, useless without the key. */
export function keyedHash(key: SecretKey, input: Uint8Array, length = LOOKUP_TAG_BYTES): Buffer {
  const out = Buffer.allocUnsafe(length);
  key.use((k) => sodium.crypto_generichash(out, input, k));
  return out;
}

/**
 * What a file may ask of the reader's machine for Argon2id: at most 1 GiB and 10 passes (libsodium's
 * "sensitive" is 1 GiB, 4 passes), at least libsodium's minimums. Backups and master.key both read
 * their parameters from the file, so a doctored file could otherwise take the host's memory
 * (docs/security.md, "The master key"); they are checked before anything is allocated.
 */
export const KDF_MAX_OPSLIMIT = 10;
export const KDF_MAX_MEMLIMIT = 1024 * 1024 * 1024;

export function kdfLimitsInBounds(opslimit: number, memlimit: number): boolean {
  return Number.isInteger(opslimit) && opslimit >= sodium.crypto_pwhash_OPSLIMIT_MIN && opslimit <= KDF_MAX_OPSLIMIT &&
    Number.isInteger(memlimit) && memlimit >= sodium.crypto_pwhash_MEMLIMIT_MIN && memlimit <= KDF_MAX_MEMLIMIT;
}

/** Constant-time equality of two byte strings of equal length. */
export function equalConstantTime(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && sodium.sodium_memcmp(a, b);
}
