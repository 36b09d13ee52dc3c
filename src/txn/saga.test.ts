import { afterEach, describe, expect, it } from 'vitest';
import { GeodeError } from '../util/errors.ts';
import { runSaga, type SagaStep } from './saga.ts';
import { TXN_GROUPS, TxnSimEnv, groupOfKey } from './testing.ts';

let env: TxnSimEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

/** Two keys on different shards. */
function twoShards(): [string, string] {
  const a = 'k0';
  for (let i = 1; ; i++) if (groupOfKey(`k${i}`) !== groupOfKey(a)) return [a, `k${i}`];
}

const add = (key: string, n: number) => async (tx: Parameters<SagaStep['run']>[0]) => tx.write(key, (((await tx.read(key)) as number | undefined) ?? 0) + n);

describe('sagas', () => {
  it('runs single-shard steps in order; when one fails, compensates the committed ones newest first', async () => {
    env = new TxnSimEnv({ seed: 21 });
    expect(await env.form()).toBe(true);
    const e = env;
    const coord = e.coordinator('p1', 's', e.rnd.fn());
    const [a, b] = twoShards();
    const ok = await e.c.value(runSaga(coord, [
      { name: 'debit', run: add(a, -10), compensate: add(a, 10) },
      { name: 'credit', run: add(b, 10), compensate: add(b, -10) },
    ]));
    expect(ok).toEqual({ status: 'committed', steps: 2 });
    const failing = await e.c.value(
      runSaga(coord, [
        { name: 'debit', run: add(a, -5), compensate: add(a, 5) },
        { name: 'credit', run: add(b, 5), compensate: add(b, -5) },
        { name: 'refuse', run: () => Promise.reject(new GeodeError('INPUT_INVALID', 'no')), compensate: () => Promise.resolve() },
      ]),
    );
    expect(failing).toMatchObject({ status: 'compensated', failedStep: 'refuse', compensated: 2 });
    const read = e.coordinator('p2', 'r', e.rnd.fn());
    expect(await e.c.value(read.run(async (tx) => [await tx.read(a), await tx.read(b)], { readOnly: true }))).toEqual([-10, 10]);
  });

  it('refuses a step that writes more than one shard (and compensates what came before)', async () => {
    env = new TxnSimEnv({ seed: 22 });
    expect(await env.form()).toBe(true);
    const e = env;
    const coord = e.coordinator('p1', 's', e.rnd.fn());
    const [a, b] = twoShards();
    expect(TXN_GROUPS).toContain(groupOfKey(b));
    const out = await e.c.value(
      runSaga(coord, [
        { name: 'one', run: add(a, 1), compensate: add(a, -1) },
        { name: 'both', run: async (tx) => (tx.write(a, 0), tx.write(b, 0)), compensate: () => Promise.resolve() },
      ]),
    );
    expect(out).toMatchObject({ status: 'compensated', failedStep: 'both', compensated: 1 });
    const read = e.coordinator('p2', 'r', e.rnd.fn());
    expect(await e.c.value(read.run(async (tx) => [await tx.read(a), await tx.read(b)], { readOnly: true }))).toEqual([0, undefined]);
  });
});
