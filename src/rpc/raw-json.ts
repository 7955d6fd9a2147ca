/**
 * A result already serialised as UTF-8 JSON, in pieces. A handler returns one when it can make its
 * answer faster than JSON.stringify of an object graph (apiKey.list of a large vault); the writer
 * sends the pieces as they are.
 */
export class RawJson<T = unknown> {
  readonly byteLength: number;
  /** What the JSON text is of: a type only, so that a handler's raw answer is checked against its method's result. */
  declare readonly of?: T;

  constructor(readonly pieces: readonly Buffer[]) {
    let length = 0;
    for (const piece of pieces) length += piece.length;
    this.byteLength = length;
  }
}
