/** Makes a data dir holding `count` keys (one compaction, no fsync per key); returns the first 16 key values. */
export function populate(dataDir: string, count: number): Promise<string[]>;
