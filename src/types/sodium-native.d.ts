// The part of sodium-native 5 this project uses (the package ships no types).
declare module 'sodium-native' {
  type Bytes = Uint8Array;
  interface SecureBuffer extends Buffer {
    secure: true;
  }
  const sodium: {
    sodium_malloc(size: number): SecureBuffer;
    sodium_free(buf: Buffer): void;
    sodium_memzero(buf: Bytes): void;
    sodium_memcmp(a: Bytes, b: Bytes): boolean;
    sodium_mprotect_readonly(buf: Buffer): void;
    sodium_mprotect_readwrite(buf: Buffer): void;
    randombytes_buf(buf: Bytes): void;
    crypto_generichash(output: Bytes, input: Bytes, key?: Bytes): void;
    crypto_generichash_BYTES: number;
    crypto_kdf_derive_from_key(subkey: Bytes, subkeyId: number, ctx: Bytes, key: Bytes): void;
    crypto_kdf_KEYBYTES: number;
    crypto_kdf_CONTEXTBYTES: number;
    crypto_aead_xchacha20poly1305_ietf_encrypt(
      c: Bytes, m: Bytes, ad: Bytes | null, nsec: null, npub: Bytes, k: Bytes,
    ): number;
    crypto_aead_xchacha20poly1305_ietf_decrypt(
      m: Bytes, nsec: null, c: Bytes, ad: Bytes | null, npub: Bytes, k: Bytes,
    ): number;
    crypto_aead_xchacha20poly1305_ietf_ABYTES: number;
    crypto_aead_xchacha20poly1305_ietf_NPUBBYTES: number;
    crypto_aead_xchacha20poly1305_ietf_KEYBYTES: number;
    crypto_pwhash(out: Bytes, passwd: Bytes, salt: Bytes, opslimit: number, memlimit: number, alg: number): void;
    crypto_pwhash_async(out: Bytes, passwd: Bytes, salt: Bytes, opslimit: number, memlimit: number, alg: number): Promise<void>;
    crypto_pwhash_ALG_ARGON2ID13: number;
    crypto_pwhash_OPSLIMIT_MODERATE: number;
    crypto_pwhash_MEMLIMIT_MODERATE: number;
    crypto_pwhash_SALTBYTES: number;
    crypto_pwhash_OPSLIMIT_INTERACTIVE: number;
    crypto_pwhash_MEMLIMIT_INTERACTIVE: number;
    crypto_pwhash_OPSLIMIT_MIN: number;
    crypto_pwhash_OPSLIMIT_MAX: number;
    crypto_pwhash_MEMLIMIT_MIN: number;
    crypto_pwhash_MEMLIMIT_MAX: number;
  };
  export default sodium;
}
