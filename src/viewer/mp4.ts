// The stitched stream as one MP4 (for LINE video messages, downloads, a no-JS
// <video src>): the same segments the playlist lists, in order, remuxed without
// re-encoding. Written once to storage and served from there after.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import os from 'node:os';
import path from 'node:path';
import type { Storage } from '../storage/storage.ts';
import { runFfmpeg } from '../video/ffmpeg.ts';
import type { TemplatePlan } from '../templates/plan.ts';
import type { RenderMeta } from '../render/records.ts';

/** LINE's limit for a video message's file (Messaging API, video message: max 200 MB). */
export const LINE_MAX_BYTES = 200 * 1024 * 1024;

/**
 * The storage keys of the stream, in playlist order: shared segments, and this person's
 * segments. `personal(key)` says whether a personal key may be used; when it may not (a
 * render that failed before writing it), the template's own segment stands in, as the
 * segment route does.
 */
export function stitchedKeys(plan: TemplatePlan, meta: RenderMeta, personal: (key: string) => boolean = () => true): string[] {
  return plan.segments.map((s) => {
    if (s.kind === 'static') return s.key;
    const own = meta.segKeys[String(s.index)];
    return own && personal(own) ? own : s.key;
  });
}

/**
 * Where the MP4 of these segments is kept: a hash of the segment keys. Personal keys are
 * derived from the template version and the rendered inputs, so two identical renders
 * share one MP4. Outside templates/ and never served by path: only a token reaches it.
 */
export function mp4Key(segmentKeys: string[]): string {
  const h = createHash('sha256').update(segmentKeys.join('\n')).digest('hex').slice(0, 32);
  return `mp4/${h.slice(0, 2)}/${h}.mp4`;
}

const inFlight = new Map<string, Promise<void>>();

/**
 * Makes sure the MP4 of `segmentKeys` is in storage under `key`. One remux per key at a
 * time in this process (concurrent requests wait for the same one); storage writes are
 * atomic, so a reader never sees a partial file, and two processes racing write the same bytes.
 */
export async function ensureMp4(storage: Storage, segmentKeys: string[], key: string = mp4Key(segmentKeys)): Promise<string> {
  if (await storage.head(key)) return key;
  let job = inFlight.get(key);
  if (!job) {
    job = remux(storage, segmentKeys, key).finally(() => inFlight.delete(key));
    inFlight.set(key, job);
  }
  await job;
  return key;
}

async function remux(storage: Storage, segmentKeys: string[], key: string): Promise<void> {
  const base = path.join(os.tmpdir(), `kasane-mp4-${process.pid}-${randomBytes(6).toString('hex')}`);
  const [ts, tmp] = [`${base}.ts`, `${base}.mp4`];
  try {
    // The segments are cut from one continuous MPEG-TS (timestamps and continuity counters
    // run on), so their plain byte concatenation is that stream. Written to a temporary
    // file, not this machine's cache: personal segments must not outlive their deletion.
    const out = createWriteStream(ts);
    for (const k of segmentKeys) {
      const obj = await storage.open(k);
      if (!obj) throw new Error(`segment ${k} is missing`);
      await pipeline(obj.stream(), out, { end: false });
    }
    await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
    await runFfmpeg(
      [
        '-i', ts,
        '-map', '0:v:0', '-map', '0:a:0?',
        '-c', 'copy',
        // ADTS headers (TS) → an AudioSpecificConfig in the MP4 sample description.
        '-bsf:a', 'aac_adtstoasc',
        // moov before mdat: playback (and LINE's preview) starts without fetching the end.
        '-movflags', '+faststart',
        '-f', 'mp4', '-y', tmp,
      ],
      { timeoutMs: 60_000, interactive: true },
    );
    await storage.putFile(key, tmp);
  } finally {
    await rm(ts, { force: true });
    await rm(tmp, { force: true });
  }
}
