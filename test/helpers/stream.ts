// Shared helpers for stream tests: the un-personalized template stream as a
// reference, the full stream check against it, and decoded frames for pixel checks.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startStaticServer, type StaticServer } from '../support/static-server.ts';
import { mediaPlaylist } from '../../src/viewer/playlist.ts';
import { runFfmpeg } from '../../src/video/ffmpeg.ts';
import type { TemplatePlan } from '../../src/templates/plan.ts';
import { SHARED_STORAGE, type TestService } from './service.ts';
import { checkStream, type StreamReport } from '../support/hls-checks.ts';

/** Serves the template's single-pass segments (what every viewer would get without overlays). */
export async function serveReference(plan: TemplatePlan, storageDir = SHARED_STORAGE): Promise<{ url: string; server: StaticServer }> {
  const body = Buffer.from(mediaPlaylist(plan, (i) => '/' + plan.segments[i]!.key));
  const server = await startStaticServer(storageDir, { '/ref.m3u8': { body, type: 'application/vnd.apple.mpegurl' } });
  return { url: `${server.origin}/ref.m3u8`, server };
}

/**
 * Every stream check (ffmpeg decode included) on a render of `template`, against that template's own
 * encode as the reference, read from the service's storage dir.
 */
export async function checkRender(t: TestService, template: string, playlistUrl: string): Promise<StreamReport> {
  const storageDir = t.env.KASANE_STORAGE_DIR ?? SHARED_STORAGE;
  const version = (await t.api('GET', '/v1/templates')).body.templates.find((x: { id: string }) => x.id === template).version;
  const plan: TemplatePlan = JSON.parse(readFileSync(path.join(storageDir, 'templates', template, version, 'plan.json'), 'utf8'));
  const ref = await serveReference(plan, storageDir);
  try {
    return await checkStream(playlistUrl, { reference: ref.url });
  } finally {
    await ref.server.close();
  }
}

/** One decoded frame (by frame number) as packed RGB, cropped to a box. */
export async function frameRgb(playlistUrl: string, frame: number, box: { x: number; y: number; width: number; height: number }): Promise<Buffer> {
  const { stdout } = await runFfmpeg(
    ['-v', 'error', '-i', playlistUrl, '-vf', `select=eq(n\\,${frame}),crop=${box.width}:${box.height}:${box.x}:${box.y}`, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'],
    { captureStdout: true, timeoutMs: 60_000 },
  );
  return stdout;
}

export function meanAbsDiff(a: Buffer, b: Buffer): number {
  if (a.length !== b.length || a.length === 0) throw new Error(`frame sizes differ: ${a.length} vs ${b.length}`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!);
  return s / a.length;
}
