// An endpoint's failure streak under concurrent deliveries (the delivery worker runs 4
// at a time): a success landing while a failure is being recorded must not make the
// streak look days old and disable a healthy endpoint (seen in bench/events.ts: a
// receiver failing 30 % of requests had its endpoint disabled within a second).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedRedis } from '../src/queue/embedded-redis.ts';
import { connect } from '../src/queue/connection.ts';
import { EndpointStore } from '../src/events/endpoints.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'kasane-streak-'));
const server = await startEmbeddedRedis(dir);
const redis = connect({ socket: server.socket });
after(async () => {
  redis.disconnect();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('successes and failures recorded at the same time never disable an endpoint that is failing for seconds, not days', async () => {
  const store = new EndpointStore(redis);
  const FIVE_DAYS = 5 * 86_400_000;
  // The success is sent after 0…5 other round trips, so it lands at every point of recording the failure.
  for (let delay = 0; delay <= 5; delay++) {
    for (let round = 0; round < 5; round++) {
      const ep = await store.create({ url: 'https://example.com/hook', events: ['video.started'] });
      const success = (async () => {
        for (let k = 0; k < delay; k++) await redis.ping();
        await store.recordSuccess(ep.id);
      })();
      const [disabled] = await Promise.all([store.recordFailure(ep.id, FIVE_DAYS), success]);
      const now = await store.get(ep.id);
      assert.equal(disabled, false, `disabled by a failure seconds old (success after ${delay} round trips)`);
      assert.equal(now!.enabled, true);
      assert.equal(now!.disabledReason, undefined);
    }
  }
  // A streak that is really older than the limit still disables (and a deleted endpoint is not brought back).
  const old = await store.create({ url: 'https://example.com/hook', events: ['video.started'] });
  await redis.hset(`kasane:wh:endpoint:${old.id}`, 'failingSince', String(Date.now() - 6 * 86_400_000));
  assert.equal(await store.recordFailure(old.id, FIVE_DAYS), true);
  assert.equal((await store.get(old.id))!.enabled, false);
  await store.remove(old.id);
  assert.equal(await store.recordFailure(old.id, FIVE_DAYS), false);
  assert.equal(await redis.exists(`kasane:wh:endpoint:${old.id}`), 0);
});
