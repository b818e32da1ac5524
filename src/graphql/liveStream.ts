// The stream behind a GraphQL subscription of a live resource: its value now, then again after every
// change notification on any of its ids (LISTEN/NOTIFY, so writes from workers on other machines
// arrive too). Bursts of notifications collapse into one reload, unchanged reloads are not pushed,
// and the stream ends after pushing a final value.
import type { Services } from '../services.ts';

export interface LiveResource<T> {
  /** the ids whose notifications mean the resource may have changed */
  ids: string[];
  load(): Promise<T>;
  /** what is compared between reloads (an unchanged one is not pushed) */
  fingerprint(value: T): string;
  isFinal(value: T): boolean;
}

export async function liveStream<T>(deps: Pick<Services, 'events'>, resource: LiveResource<T>, onEnd: () => void = () => {}): Promise<AsyncIterableIterator<T>> {
  let changed = true;
  let done = false;
  let lastPushed: string | undefined;
  let wake: (() => void) | undefined;
  const onChange = () => {
    changed = true;
    wake?.();
  };
  const unsubscribes = await Promise.all(resource.ids.map((id) => deps.events.subscribe(id, onChange)));
  const finish = () => {
    if (done) return;
    done = true;
    for (const unsubscribe of unsubscribes) unsubscribe();
    onEnd();
    wake?.();
  };
  const end = { done: true as const, value: undefined };

  const iterator: AsyncIterableIterator<T> = {
    [Symbol.asyncIterator]: () => iterator,
    async next() {
      for (;;) {
        while (!changed && !done) await new Promise<void>((resolve) => (wake = resolve));
        if (done) return end;
        changed = false;
        const value = await resource.load().catch((err) => {
          // a throwing next() ends the consumer's loop without return(): release the listeners here
          finish();
          throw err;
        });
        const fingerprint = resource.fingerprint(value);
        if (fingerprint === lastPushed) continue;
        lastPushed = fingerprint;
        if (resource.isFinal(value)) finish();
        return { done: false, value };
      }
    },
    async return() {
      finish();
      return end;
    },
  };
  return iterator;
}
