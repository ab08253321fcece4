// Crop geometry: Paddle's random_crop (reader.py, PADDLE_REFERENCE §2.4), torchvision's
// RandomResizedCrop, resize_short's target size and the centre crop. Only the boxes are computed
// here; resize() applies them.
import type { Box } from './image.js';
import type { RandomSource } from './rng.js';

export interface CropScale {
  /** Area fraction bounds (Paddle: [lower_scale, 1.0]). */
  scale: readonly [number, number];
  /** Aspect-ratio bounds (Paddle: [lower_ratio, upper_ratio]). */
  ratio: readonly [number, number];
}

export const DEFAULT_CROP_SCALE: CropScale = { scale: [0.08, 1.0], ratio: [3 / 4, 4 / 3] };

/**
 * Paddle's random_crop. Draw order: aspect ratio, area, top, left (as reader.py).
 * The aspect ratio is sqrt(U(ratio)) — uniform, not log-uniform — and the area fraction is clamped
 * so the box always fits: there is no retry loop and no fallback.
 */
export function paddleRandomCropBox(height: number, width: number, rng: RandomSource, cs: CropScale = DEFAULT_CROP_SCALE): Box {
  const aspect = Math.sqrt(rng.uniform(cs.ratio[0], cs.ratio[1]));
  let w = 1.0 * aspect;
  let h = 1.0 / aspect;
  const bound = Math.min(height / width / (h * h), width / height / (w * w));
  const scaleMax = Math.min(cs.scale[1], bound);
  const scaleMin = Math.min(cs.scale[0], bound);
  const targetArea = height * width * rng.uniform(scaleMin, scaleMax);
  const targetSize = Math.sqrt(targetArea);
  w = Math.trunc(targetSize * w);
  h = Math.trunc(targetSize * h);
  // Degenerate tiny images could truncate to 0; Paddle would then crash in cv2.resize.
  w = Math.max(1, Math.min(w, width));
  h = Math.max(1, Math.min(h, height));
  const i = rng.randint(0, height - h + 1);
  const j = rng.randint(0, width - w + 1);
  return { x: j, y: i, w, h };
}

/**
 * torchvision's RandomResizedCrop.get_params: up to 10 attempts with a log-uniform ratio, then a
 * centre crop clamped to the ratio bounds.
 */
export function torchRandomResizedCropBox(height: number, width: number, rng: RandomSource, cs: CropScale = DEFAULT_CROP_SCALE): Box {
  const area = height * width;
  const logR0 = Math.log(cs.ratio[0]);
  const logR1 = Math.log(cs.ratio[1]);
  for (let attempt = 0; attempt < 10; attempt++) {
    const targetArea = area * rng.uniform(cs.scale[0], cs.scale[1]);
    const aspect = Math.exp(rng.uniform(logR0, logR1));
    const w = Math.round(Math.sqrt(targetArea * aspect));
    const h = Math.round(Math.sqrt(targetArea / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      const i = rng.randint(0, height - h + 1);
      const j = rng.randint(0, width - w + 1);
      return { x: j, y: i, w, h };
    }
  }
  const inRatio = width / height;
  let w: number;
  let h: number;
  if (inRatio < cs.ratio[0]) {
    w = width;
    h = Math.round(w / cs.ratio[0]);
  } else if (inRatio > cs.ratio[1]) {
    h = height;
    w = Math.round(h * cs.ratio[1]);
  } else {
    w = width;
    h = height;
  }
  return { x: Math.trunc((width - w) / 2), y: Math.trunc((height - h) / 2), w, h };
}

/** Python 3's round(): half to even. */
export function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** resize_short's output size: percent = target / min(H, W), new = int(round(side * percent)). */
export function resizeShortSize(height: number, width: number, target: number): { width: number; height: number } {
  const percent = target / Math.min(height, width);
  return { width: Math.max(1, roundHalfEven(width * percent)), height: Math.max(1, roundHalfEven(height * percent)) };
}

/** crop_image(center=True): starts (W - size) // 2 and (H - size) // 2. */
export function centerCropBox(height: number, width: number, size: number): Box {
  if (size > width || size > height) throw new RangeError(`centre crop ${size} larger than the ${width}x${height} image`);
  return { x: Math.floor((width - size) / 2), y: Math.floor((height - size) / 2), w: size, h: size };
}
