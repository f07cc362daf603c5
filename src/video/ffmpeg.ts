// A small typed runner over child_process.spawn: argument arrays (never a shell),
// a timeout, kill on abort, and the stderr tail in errors.
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import os from 'node:os';
import { ffmpegSettings, type FfmpegSettings } from '../config/index.ts';
import { parseColour, type SourceColour } from './colour.ts';

const require = createRequire(import.meta.url);

let settings: FfmpegSettings | undefined;

/**
 * The service passes its loaded configuration here (FFMPEG_PATH, KASANE_FFMPEG_NICE,
 * KASANE_FFMPEG_SCHED). Code that runs ffmpeg without a service (tests, scripts, the
 * CLI's local render) gets the same settings read from the environment by src/config.
 */
export function configureFfmpeg(s: FfmpegSettings): void {
  settings = s;
  versionCache = undefined;
}

function current(): FfmpegSettings {
  return (settings ??= ffmpegSettings());
}

/** ffmpeg from @ffmpeg-installer/ffmpeg unless FFMPEG_PATH overrides it. */
export function ffmpegPath(): string {
  return current().path ?? (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
}

export class FfmpegError extends Error {
  constructor(
    message: string,
    readonly code: number | null,
    readonly stderrTail: string,
  ) {
    super(message);
  }
}

export interface RunOptions {
  /** Bytes written to ffmpeg's stdin (e.g. raw frames); stdin is closed afterwards. */
  input?: Buffer;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Collect stdout into the result (for `pipe:1` outputs). */
  captureStdout?: boolean;
  /** Receive stdout as it arrives (not collected into the result). */
  onStdout?: (chunk: Buffer) => void;
  /**
   * Someone is waiting for this run (e.g. an MP4 remux, stream copy only): run at normal
   * priority, not under the idle scheduling / nice that keeps encoders out of the API's way.
   */
  interactive?: boolean;
}

export interface RunResult {
  stdout: Buffer;
  stderr: string;
}

const STDERR_TAIL = 4000;

let chrtAvailable: boolean | undefined;
/**
 * Encoders run under SCHED_IDLE (util-linux `chrt`) where the system allows it: they get
 * only CPU time nothing else wants, a stronger promise than nice 19. Measured on 2 cores
 * at 1,000 accepts/s with two renders encoding: accept p99 12.9 ms at nice 19, 9.4 ms
 * idle. KASANE_FFMPEG_SCHED=normal turns it off.
 */
function idleScheduling(): boolean {
  if (!current().idleScheduling) return false;
  chrtAvailable ??= spawnSync('chrt', ['--idle', '0', 'true'], { stdio: 'ignore', timeout: 5000 }).status === 0;
  return chrtAvailable;
}

export function runFfmpeg(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    // -nostdin keeps ffmpeg from eating the terminal, except when we feed it frames.
    const base = opts.input ? ['-hide_banner'] : ['-hide_banner', '-nostdin'];
    const [cmd, pre] = !opts.interactive && idleScheduling() ? ['chrt', ['--idle', '0', ffmpegPath()]] : [ffmpegPath(), []];
    const child = spawn(cmd, [...pre, ...base, ...args], {
      stdio: [opts.input ? 'pipe' : 'ignore', opts.captureStdout || opts.onStdout ? 'pipe' : 'ignore', 'pipe'],
    });
    // Encoders run at a lower CPU priority than the API, so a burst of renders on the
    // same machine never delays an accept (KASANE_FFMPEG_NICE, 0 to disable).
    const nice = opts.interactive ? 0 : current().nice;
    if (nice && child.pid) {
      try {
        os.setPriority(child.pid, Math.min(19, os.getPriority() + nice));
      } catch {
        /* not permitted: run at normal priority */
      }
    }
    const out: Buffer[] = [];
    let err = '';
    let killedFor: string | undefined;
    let streamError: unknown;
    child.stdout?.on('data', (b: Buffer) => {
      if (!opts.onStdout) return out.push(b);
      if (streamError) return;
      try {
        opts.onStdout(b);
      } catch (e) {
        streamError = e;
        kill('stopped: its output was rejected');
      }
    });
    child.stderr!.on('data', (b: Buffer) => {
      err += b.toString('utf8');
      if (err.length > STDERR_TAIL * 4) err = err.slice(-STDERR_TAIL * 2);
    });
    const kill = (why: string) => {
      killedFor = why;
      child.kill('SIGKILL');
    };
    const timer = opts.timeoutMs ? setTimeout(() => kill(`timed out after ${opts.timeoutMs} ms`), opts.timeoutMs) : undefined;
    const onAbort = () => kill('aborted');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (opts.input) {
      child.stdin!.on('error', () => {}); // EPIPE when ffmpeg fails early; the exit code tells the story
      child.stdin!.end(opts.input);
    }
    child.on('error', (e) => reject(new FfmpegError(`ffmpeg could not start: ${e.message}`, null, '')));
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      const tail = err.slice(-STDERR_TAIL);
      if (streamError) return reject(streamError);
      if (killedFor) return reject(new FfmpegError(`ffmpeg ${killedFor}`, code, tail));
      if (code !== 0) return reject(new FfmpegError(`ffmpeg exited with code ${code}: ${lastLine(tail)}`, code, tail));
      resolve({ stdout: Buffer.concat(out), stderr: err });
    });
  });
}

function lastLine(s: string): string {
  const lines = s.trim().split('\n');
  return (lines[lines.length - 1] ?? '').slice(0, 300);
}

let versionCache: string | undefined;
/** The ffmpeg build string; recorded with each prepared template version. */
export async function ffmpegVersion(): Promise<string> {
  if (versionCache) return versionCache;
  const { stdout } = await runFfmpeg(['-version'], { captureStdout: true });
  versionCache = stdout.toString('utf8').split('\n')[0]!.trim();
  return versionCache;
}

export interface ProbeResult {
  durationSec: number;
  /** Displayed size: the coded size turned by the display matrix (phones store portrait clips as landscape + rotation). */
  width: number;
  height: number;
  /** Clockwise degrees the picture is turned for display (0, 90, 180, 270; other angles as given). */
  rotation: number;
  /** Size as stored in the stream, before rotation. */
  codedWidth: number;
  codedHeight: number;
  fps: number;
  videoCodec: string;
  hasAudio: boolean;
  audioCodec?: string;
  /** Audio streams in the file; only the first (0:a:0) is used. */
  audioTracks: number;
  /** The first audio stream as ffmpeg names it, e.g. "#0:1(jpn): aac", for logs and reports. */
  audioTrack?: string;
  /** The video stream's colour description (matrix, primaries, transfer, range), as tagged. */
  colour: SourceColour;
}

/**
 * Probes a media file with `ffmpeg -i` (the npm-shipped ffprobe crashes here, see DESIGN.md).
 * Parses ffmpeg's stream summary, which has been stable across versions.
 */
export async function probe(file: string): Promise<ProbeResult> {
  let stderr = '';
  try {
    await runFfmpeg(['-i', file], { timeoutMs: 30_000 });
  } catch (e) {
    // ffmpeg exits 1 when given no output; the summary is still there.
    if (!(e instanceof FfmpegError)) throw e;
    stderr = e.stderrTail;
  }
  return parseProbe(stderr);
}

const STREAM = /^\s*Stream #\d+:\d+(?:\[\w+\])?(?:\(\w+\))?: (\w+): /;

/** Reads `ffmpeg -i` stderr: container duration, the first video stream (and its display matrix), audio. */
export function parseProbe(stderr: string): ProbeResult {
  const dur = /Duration: (\d+):(\d+):(\d+(?:\.\d+)?)/.exec(stderr);
  // Each stream's block: its summary line and the indented Metadata / Side data lines under it.
  const blocks: Array<{ kind: string; text: string }> = [];
  for (const line of stderr.split('\n')) {
    const m = STREAM.exec(line);
    if (m) blocks.push({ kind: m[1]!, text: line });
    else if (blocks.length && /^\s{4,}/.test(line)) blocks[blocks.length - 1]!.text += '\n' + line;
    else if (blocks.length && !/^\s/.test(line)) break;
  }
  const vBlock = blocks.find((b) => b.kind === 'Video');
  const video = vBlock && /Video: (\w+)[^\n]*?, (\d{2,5})x(\d{2,5})[^\n]*?(?:, ([\d.]+) fps|, ([\d.]+) tbr)/.exec(vBlock.text);
  if (!dur || !vBlock || !video) throw new Error(`not a readable video file (${lastLine(stderr)})`);
  const audios = blocks.filter((b) => b.kind === 'Audio');
  const audio = audios[0];
  const codedWidth = Number(video[2]);
  const codedHeight = Number(video[3]);
  const rotation = displayRotation(vBlock.text);
  const turned = rotation === 90 || rotation === 270;
  return {
    durationSec: Number(dur[1]) * 3600 + Number(dur[2]) * 60 + Number(dur[3]),
    videoCodec: video[1]!,
    width: turned ? codedHeight : codedWidth,
    height: turned ? codedWidth : codedHeight,
    rotation,
    codedWidth,
    codedHeight,
    fps: Number(video[4] ?? video[5]),
    hasAudio: !!audio,
    audioCodec: audio ? /Audio: (\w+)/.exec(audio.text)?.[1] : undefined,
    audioTracks: audios.length,
    audioTrack: audio ? audioLabel(audio.text) : undefined,
    colour: parseColour(vBlock.text.split('\n')[0]!),
  };
}

/** "#0:1(jpn): aac": which audio stream a prepared template uses, for the log and the plan. */
function audioLabel(block: string): string | undefined {
  const m = /Stream (#\d+:\d+)(?:\[\w+\])?(\(\w+\))?: Audio: (\w+)/.exec(block);
  return m ? `${m[1]}${m[2] ?? ''}: ${m[3]}` : undefined;
}

/**
 * Clockwise display rotation of a video stream. ffmpeg prints the display matrix as
 * "displaymatrix: rotation of -90.00 degrees" (counter-clockwise, as av_display_rotation_get)
 * and, for MP4, a "rotate : 90" tag (clockwise); the matrix is what its autorotation obeys.
 */
function displayRotation(block: string): number {
  const matrix = /displaymatrix: rotation of (-?[\d.]+) degrees/.exec(block);
  const tag = /^\s+rotate\s*:\s*(-?[\d.]+)\s*$/m.exec(block);
  const cw = matrix ? -Number(matrix[1]) : tag ? Number(tag[1]) : 0;
  if (!Number.isFinite(cw)) return 0;
  const r = ((Math.round(cw * 100) / 100) % 360 + 360) % 360;
  return r === 360 ? 0 : r;
}
