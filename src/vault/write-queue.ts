/**
 * Runs tasks one at a time, in the order given: a change is planned against the keys as the
 * previous change left them, and written after it (docs/storage.md). A task that fails does not
 * stop the ones after it.
 */
export class WriteQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T> | T): Promise<T> {
    const run = this.tail.then(task);
    this.tail = run.catch(() => undefined);
    return run;
  }
}
