/**
 * A result already serialised as UTF-8 JSON. A handler returns one when it can make its answer
 * faster than JSON.stringify of an object graph (apiKey.list of a large vault); the writer sends
 * the bytes as they are.
 */
export class RawJson {
  constructor(readonly bytes: Buffer) {}
}
