import sodium from 'sodium-native';

/** Bytes from libsodium's CSPRNG: the source of every key value, token, nonce and salt (docs/security.md). */
export function randomBytes(length: number): Buffer {
  const bytes = Buffer.alloc(length);
  sodium.randombytes_buf(bytes);
  return bytes;
}
