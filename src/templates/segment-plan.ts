// Decides where segments start: at every overlay window edge (so personalized
// frames never share a segment with shared ones) and often enough that no
// segment exceeds the maximum length.

export interface Window {
  layerId: string;
  startFrame: number;
  endFrame: number; // exclusive
}

export interface PlannedSegment {
  index: number;
  startFrame: number;
  frames: number;
  /** Ids of the layers visible in this segment; empty → static (shared by everyone). */
  layers: string[];
}

export function planSegments(frameCount: number, fps: number, windows: Window[], maxSegmentSec = 6, targetSegmentSec = 4): PlannedSegment[] {
  const edges = new Set<number>([0, frameCount]);
  for (const w of windows) {
    if (w.startFrame > 0 && w.startFrame < frameCount) edges.add(w.startFrame);
    if (w.endFrame > 0 && w.endFrame < frameCount) edges.add(w.endFrame);
  }
  const sorted = [...edges].sort((a, b) => a - b);
  const maxFrames = Math.floor(maxSegmentSec * fps);
  const target = Math.round(targetSegmentSec * fps);
  const bounds: number[] = [];
  for (let i = 0; i + 1 < sorted.length; i++) {
    const a = sorted[i]!;
    const b = sorted[i + 1]!;
    bounds.push(a);
    const len = b - a;
    if (len > maxFrames) {
      // Split a long gap into equal pieces close to the target length.
      const pieces = Math.max(Math.ceil(len / maxFrames), Math.round(len / target));
      for (let p = 1; p < pieces; p++) bounds.push(a + Math.round((len * p) / pieces));
    }
  }
  return bounds.map((start, index) => {
    const end = index + 1 < bounds.length ? bounds[index + 1]! : frameCount;
    const layers = windows.filter((w) => w.startFrame < end && w.endFrame > start).map((w) => w.layerId);
    return { index, startFrame: start, frames: end - start, layers };
  });
}
