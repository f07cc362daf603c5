// Shared helpers for stream tests: the un-personalized template stream as a
// reference, and decoded frames for pixel checks.
import { startStaticServer, type StaticServer } from '../support/static-server.ts';
import { mediaPlaylist } from '../../src/viewer/playlist.ts';
import { runFfmpeg } from '../../src/video/ffmpeg.ts';
import type { TemplatePlan } from '../../src/templates/plan.ts';
import { SHARED_STORAGE } from './service.ts';

/** Serves the template's single-pass segments (what every viewer would get without overlays). */
export async function serveReference(plan: TemplatePlan): Promise<{ url: string; server: StaticServer }> {
  const body = Buffer.from(mediaPlaylist(plan, (i) => '/' + plan.segments[i]!.key));
  const server = await startStaticServer(SHARED_STORAGE, { '/ref.m3u8': { body, type: 'application/vnd.apple.mpegurl' } });
  return { url: `${server.origin}/ref.m3u8`, server };
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
