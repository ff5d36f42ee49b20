#!/usr/bin/env node
// Writes the app and tray icons (build/icon.png, build/tray.png, build/tray@2x.png) from the same
// shape as renderer/public/favicon.svg: a rounded square with a white "A". No image libraries: the
// shape is sampled on a 32-unit grid (the SVG's viewBox) with 4×4 supersampling for antialiasing,
// and the PNG is encoded by hand with node:zlib. Plain JS: runs on the machine's Node >= 20.
//   node scripts/make-icons.js
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const root = path.resolve(import.meta.dirname, '..');
const out = path.join(root, 'build');

const BACKGROUND = [0x2f, 0x6b, 0xff]; // favicon.svg fill
const FOREGROUND = [0xff, 0xff, 0xff];
const RADIUS = 7;
// The "A" from favicon.svg, as polygons filled even-odd (the second one is the counter).
const GLYPH = [
  [[16, 6], [8, 26], [12, 26], [13.6, 21.6], [18.4, 21.6], [20, 26], [24, 26]],
  [[14.7, 18.4], [16, 14], [17.3, 18.4]],
];

function inRoundedSquare(x, y) {
  const cx = Math.min(Math.max(x, RADIUS), 32 - RADIUS);
  const cy = Math.min(Math.max(y, RADIUS), 32 - RADIUS);
  return x >= 0 && x <= 32 && y >= 0 && y <= 32 && (x - cx) ** 2 + (y - cy) ** 2 <= RADIUS ** 2;
}

function inGlyph(x, y) {
  let inside = false;
  for (const poly of GLYPH) {
    for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
      const [xi, yi] = poly[i];
      const [xj, yj] = poly[j];
      if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
    }
  }
  return inside;
}

/** RGBA pixels of the icon at size×size. */
function render(size) {
  const ss = 4;
  const px = Buffer.alloc(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let pxi = 0; pxi < size; pxi++) {
      // Premultiplied accumulation so edge pixels blend the right colour, not towards black.
      let r = 0, g = 0, b = 0, a = 0;
      for (let sy = 0; sy < ss; sy++) {
        for (let sx = 0; sx < ss; sx++) {
          const x = ((pxi + (sx + 0.5) / ss) * 32) / size;
          const y = ((py + (sy + 0.5) / ss) * 32) / size;
          if (!inRoundedSquare(x, y)) continue;
          const c = inGlyph(x, y) ? FOREGROUND : BACKGROUND;
          r += c[0];
          g += c[1];
          b += c[2];
          a += 1;
        }
      }
      const o = (py * size + pxi) * 4;
      if (a > 0) {
        px[o] = Math.round(r / a);
        px[o + 1] = Math.round(g / a);
        px[o + 2] = Math.round(b / a);
        px[o + 3] = Math.round((a / (ss * ss)) * 255);
      }
    }
  }
  return px;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf) {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

function png(size, rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  // compression, filter and interlace methods stay 0
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) rgba.copy(raw, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4); // filter 0 per row
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

fs.mkdirSync(out, { recursive: true });
for (const [name, size] of [
  ['icon.png', 512],
  ['tray.png', 32],
  ['tray@2x.png', 64],
]) {
  fs.writeFileSync(path.join(out, name), png(size, render(size)));
  console.log(`wrote build/${name} (${size}×${size})`);
}
