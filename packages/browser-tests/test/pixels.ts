/** Counting pixels of a colour in a region of a PNG screenshot. */
import { PNG } from "pngjs";

export interface Region {
  x: number;
  y: number;
  width: number;
  height: number;
}

export function decodePng(bytes: Buffer): PNG {
  return PNG.sync.read(bytes);
}

/**
 * Pixels in `region` within `tolerance` of `hex` on every channel: a line drawn in that
 * colour, blended at its antialiased edges, counts along its core.
 */
export function countColour(png: PNG, region: Region, hex: string, tolerance = 40): number {
  const target = [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16));
  let count = 0;
  const x1 = Math.min(png.width, Math.round(region.x + region.width));
  const y1 = Math.min(png.height, Math.round(region.y + region.height));
  for (let y = Math.max(0, Math.round(region.y)); y < y1; y++) {
    for (let x = Math.max(0, Math.round(region.x)); x < x1; x++) {
      const at = 4 * (y * png.width + x);
      if (target.every((c, i) => Math.abs((png.data[at + i] as number) - c) <= tolerance)) count++;
    }
  }
  return count;
}

/** Distinct colours in the whole image: 1 for a blank page. */
export function distinctColours(png: PNG): number {
  const seen = new Set<number>();
  for (let at = 0; at < png.data.length; at += 4) seen.add(png.data.readUInt32BE(at));
  return seen.size;
}
