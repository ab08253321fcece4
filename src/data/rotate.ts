// Paddle's rotate_image: cv2.getRotationMatrix2D((w/2, h/2), angle, 1.0) then cv2.warpAffine with
// bilinear sampling and a black (constant 0) border. Angles are degrees, counter-clockwise on
// screen (y axis down), as OpenCV.
import type { Image } from './image.js';
import { nativeImageKernels } from './native_image.js';

export function rotate(img: Image, angleDeg: number): Image {
  const { width: w, height: h, channels: c } = img;
  const a = (angleDeg * Math.PI) / 180;
  const alpha = Math.cos(a);
  const beta = Math.sin(a);
  const cx = w / 2;
  const cy = h / 2;
  // Forward matrix M = [[alpha, beta, (1-alpha)cx - beta cy], [-beta, alpha, beta cx + (1-alpha) cy]];
  // warpAffine samples src = M^-1 dst. M's linear part is a rotation, so its inverse is the transpose.
  const m02 = (1 - alpha) * cx - beta * cy;
  const m12 = beta * cx + (1 - alpha) * cy;
  const out = new Uint8Array(w * h * c);
  const src = img.data;
  const native = nativeImageKernels();
  if (native !== null) {
    native.imageRotate(src, out, w, h, c, alpha, beta, m02, m12);
    return { data: out, width: w, height: h, channels: c };
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const dx = x - m02;
      const dy = y - m12;
      const sx = alpha * dx - beta * dy;
      const sy = beta * dx + alpha * dy;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      const o = (y * w + x) * c;
      for (let k = 0; k < c; k++) {
        let acc = 0;
        for (let j = 0; j < 2; j++) {
          const yy = y0 + j;
          if (yy < 0 || yy >= h) continue;
          const wy = j === 0 ? 1 - fy : fy;
          for (let i = 0; i < 2; i++) {
            const xx = x0 + i;
            if (xx < 0 || xx >= w) continue;
            acc += src[(yy * w + xx) * c + k]! * wy * (i === 0 ? 1 - fx : fx);
          }
        }
        const v = acc + 0.5;
        out[o + k] = v <= 0 ? 0 : v >= 255 ? 255 : v;
      }
    }
  }
  return { data: out, width: w, height: h, channels: c };
}
