// The other process of the cross-process embedded watch bench. It watches the SQLite file the
// bench process writes to and reports, over the IPC channel, when each event arrived (on the
// shared clock of `performance.timeOrigin + performance.now()`).
// argv: <tortie|raw> <db path> <key prefix> <writes> <poll ms>
// Messages: {type:'ready'} once watching, {type:'warm'} on the first warm-up event,
// {type:'done', received:[[seq, t], …]} when every write arrived, {type:'error', message}.

import { SqliteStore } from '../src/datastore/sqlite/index.js';
import { Receiver, watchRawSqlite, watchStore, type StopWatching } from './datastore-watch.js';

export type ChildMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'warm' }
  | { readonly type: 'done'; readonly received: ReadonlyArray<readonly [number, number]> }
  | { readonly type: 'error'; readonly message: string };

const send = (m: ChildMessage): Promise<void> => new Promise((resolve) => process.send!(m, undefined, {}, () => resolve()));

// If the bench process goes away, so does this one.
let finished = false;
process.on('disconnect', () => { if (!finished) process.exit(1); });

const [kind, path, prefix, countText, pollText] = process.argv.slice(2);
const rx = new Receiver(Number(countText));
let store: SqliteStore | null = null;
try {
  let stop: StopWatching;
  if (kind === 'tortie') {
    store = new SqliteStore({ path: path!, pollMs: Number(pollText) });
    stop = await watchStore(store, prefix!, rx);
  } else {
    stop = watchRawSqlite(path!, prefix!, Number(pollText), rx);
  }
  void rx.warm.then(() => send({ type: 'warm' }));
  await send({ type: 'ready' });
  const received = await rx.done;
  await stop();
  await send({ type: 'done', received: [...received] });
} catch (e) {
  await send({ type: 'error', message: e instanceof Error ? e.stack ?? e.message : String(e) });
  process.exitCode = 1;
} finally {
  await store?.close();
  finished = true;
  process.disconnect();
}
