// An 8-bit image in memory: HWC, interleaved channels (1 = gray, 3 = RGB). Every geometric
// transform works on this form (as Paddle's cv2 pipeline works on HWC uint8) before the image
// becomes float32 CHW in normalize().

export interface Image {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly channels: number;
}

export function makeImage(width: number, height: number, channels: number, data?: Uint8Array): Image {
  const n = width * height * channels;
  if (data !== undefined && data.length !== n) throw new RangeError(`image data has ${data.length} bytes, ${width}x${height}x${channels} needs ${n}`);
  return { data: data ?? new Uint8Array(n), width, height, channels };
}

/** A rectangle in pixel coordinates: left, top, width, height. */
export interface Box {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

/** Copies a sub-rectangle (img[y:y+h, x:x+w]). */
export function cropImage(img: Image, box: Box): Image {
  const { x, y, w, h } = box;
  if (x < 0 || y < 0 || w <= 0 || h <= 0 || x + w > img.width || y + h > img.height) {
    throw new RangeError(`crop box ${w}x${h}+${x}+${y} outside a ${img.width}x${img.height} image`);
  }
  const c = img.channels;
  const out = new Uint8Array(w * h * c);
  for (let r = 0; r < h; r++) {
    const s = ((y + r) * img.width + x) * c;
    out.set(img.data.subarray(s, s + w * c), r * w * c);
  }
  return { data: out, width: w, height: h, channels: c };
}

/** Mirrors left-right (img[:, ::-1, :]). */
export function flipHorizontal(img: Image): Image {
  const { width: w, height: h, channels: c } = img;
  const out = new Uint8Array(img.data.length);
  for (let y = 0; y < h; y++) {
    const row = y * w * c;
    for (let x = 0; x < w; x++) {
      const s = row + x * c;
      const d = row + (w - 1 - x) * c;
      for (let k = 0; k < c; k++) out[d + k] = img.data[s + k]!;
    }
  }
  return { data: out, width: w, height: h, channels: c };
}

/** Converts between 1 and 3 channels (gray -> RGB copies; RGB -> gray with ITU-R 601 luma, as cv2). */
export function toChannels(img: Image, channels: number): Image {
  if (img.channels === channels) return img;
  const n = img.width * img.height;
  const out = new Uint8Array(n * channels);
  const src = img.data;
  if (channels === 3 && img.channels === 1) {
    for (let i = 0; i < n; i++) out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = src[i]!;
  } else if (channels === 1 && img.channels >= 3) {
    const c = img.channels;
    for (let i = 0; i < n; i++) out[i] = Math.round(0.299 * src[c * i]! + 0.587 * src[c * i + 1]! + 0.114 * src[c * i + 2]!);
  } else if (channels === 3 && img.channels === 4) {
    for (let i = 0; i < n; i++) {
      out[3 * i] = src[4 * i]!;
      out[3 * i + 1] = src[4 * i + 1]!;
      out[3 * i + 2] = src[4 * i + 2]!;
    }
  } else if (channels === 1 && img.channels === 2) {
    for (let i = 0; i < n; i++) out[i] = src[2 * i]!;
  } else if (channels === 3 && img.channels === 2) {
    for (let i = 0; i < n; i++) out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = src[2 * i]!;
  } else {
    throw new RangeError(`cannot convert a ${img.channels}-channel image to ${channels} channels`);
  }
  return { data: out, width: img.width, height: img.height, channels };
}
