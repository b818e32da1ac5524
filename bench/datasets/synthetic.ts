// A held-out labeled dataset nobody tuned for: shapes and textures rendered with sharp (SVG), each
// class a known generator with random position, size, rotation, colours and background noise, in
// colour or grayscale, at 28-32 px. Deterministic from the seed (the engine's PRNG, and sharp's
// rasteriser is deterministic for the same SVG). Written as an ImageFolder tar.gz (`<class>/<n>.png`).
//
//   node --import tsx bench/datasets/synthetic.ts --out /tmp/shapes-train.tar.gz --per-class 200 --seed 1 [--size 32] [--gray]
import fs from 'node:fs';
import path from 'node:path';
import { createGzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import tar from 'tar-stream';
import { Prng } from '../../src/engine/prng.ts';

export interface SyntheticSpec {
  perClass: number;
  seed: number;
  /** side in pixels (28-32 intended; any 8-256 renders) */
  size: number;
  grayscale: boolean;
}

type Draw = (rng: Prng, fg: string, size: number) => string;

const between = (rng: Prng, lo: number, hi: number) => lo + (hi - lo) * rng.next();

/** A shape's centre, radius and rotation: the nuisance every class shares. */
function pose(rng: Prng, size: number) {
  const r = between(rng, 0.22, 0.38) * size;
  return { cx: between(rng, r, size - r), cy: between(rng, r, size - r), r, angle: between(rng, 0, 360) };
}

const polygon = (rng: Prng, fg: string, size: number, corners: number) => {
  const { cx, cy, r, angle } = pose(rng, size);
  const points = Array.from({ length: corners }, (_, k) => {
    const a = ((angle + (360 * k) / corners) * Math.PI) / 180;
    return `${(cx + r * Math.cos(a)).toFixed(2)},${(cy + r * Math.sin(a)).toFixed(2)}`;
  });
  return `<polygon points="${points.join(' ')}" fill="${fg}"/>`;
};

/** Stripes or checks over the whole image at a random period and phase. */
const pattern = (rng: Prng, fg: string, size: number, kind: 'stripes' | 'checks', angle: number) => {
  const period = between(rng, 4, 8);
  const phase = between(rng, 0, period);
  const cells: string[] = [];
  for (let x = -size; x < 2 * size; x += period) {
    if (kind === 'stripes') cells.push(`<rect x="${(x + phase).toFixed(2)}" y="${-size}" width="${(period / 2).toFixed(2)}" height="${3 * size}" fill="${fg}"/>`);
    else for (let y = -size, row = 0; y < 2 * size; y += period, row++) if (row % 2 === 0) cells.push(`<rect x="${(x + phase).toFixed(2)}" y="${(y + phase).toFixed(2)}" width="${(period / 2).toFixed(2)}" height="${(period / 2).toFixed(2)}" fill="${fg}"/>`);
  }
  const jitter = between(rng, -15, 15);
  return `<g transform="rotate(${(angle + jitter).toFixed(1)} ${size / 2} ${size / 2})">${cells.join('')}</g>`;
};

export const CLASSES: Record<string, Draw> = {
  circle: (rng, fg, size) => {
    const { cx, cy, r } = pose(rng, size);
    return `<circle cx="${cx.toFixed(2)}" cy="${cy.toFixed(2)}" r="${r.toFixed(2)}" fill="${fg}"/>`;
  },
  ring: (rng, fg, size) => {
    const { cx, cy, r } = pose(rng, size);
    return `<circle cx="${cx.toFixed(2)}" cy="${cy.toFixed(2)}" r="${(r * 0.8).toFixed(2)}" fill="none" stroke="${fg}" stroke-width="${(r * 0.35).toFixed(2)}"/>`;
  },
  triangle: (rng, fg, size) => polygon(rng, fg, size, 3),
  square: (rng, fg, size) => polygon(rng, fg, size, 4),
  cross: (rng, fg, size) => {
    const { cx, cy, r, angle } = pose(rng, size);
    const w = r * 0.45;
    const bar = (a: number) => `<rect x="${(cx - r).toFixed(2)}" y="${(cy - w / 2).toFixed(2)}" width="${(2 * r).toFixed(2)}" height="${w.toFixed(2)}" fill="${fg}" transform="rotate(${(angle + a).toFixed(1)} ${cx.toFixed(2)} ${cy.toFixed(2)})"/>`;
    return bar(0) + bar(90);
  },
  'stripes-horizontal': (rng, fg, size) => pattern(rng, fg, size, 'stripes', 90),
  'stripes-vertical': (rng, fg, size) => pattern(rng, fg, size, 'stripes', 0),
  checks: (rng, fg, size) => pattern(rng, fg, size, 'checks', 0),
};

const hex = (v: number) => Math.round(Math.max(0, Math.min(255, v))).toString(16).padStart(2, '0');
const colour = (rng: Prng) => `#${hex(between(rng, 0, 255))}${hex(between(rng, 0, 255))}${hex(between(rng, 0, 255))}`;

/** Two colours far enough apart in luminance that a grayscale copy still shows the shape. */
function colours(rng: Prng): { bg: string; fg: string } {
  for (;;) {
    const bg = colour(rng);
    const fg = colour(rng);
    const lum = (c: string) => 0.299 * parseInt(c.slice(1, 3), 16) + 0.587 * parseInt(c.slice(3, 5), 16) + 0.114 * parseInt(c.slice(5, 7), 16);
    if (Math.abs(lum(bg) - lum(fg)) > 60) return { bg, fg };
  }
}

/** One image as PNG bytes: the class's drawing over a flat background, plus per-pixel noise. */
export async function renderImage(cls: string, rng: Prng, spec: Pick<SyntheticSpec, 'size' | 'grayscale'>): Promise<Buffer> {
  const { size } = spec;
  const { bg, fg } = colours(rng);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}"><rect width="${size}" height="${size}" fill="${bg}"/>${CLASSES[cls](rng, fg, size)}</svg>`;
  const { data } = await sharp(Buffer.from(svg)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const noise = between(rng, 5, 25);
  for (let i = 0; i < data.length; i++) data[i] = Math.max(0, Math.min(255, data[i] + (rng.next() - 0.5) * 2 * noise));
  const image = sharp(data, { raw: { width: size, height: size, channels: 3 } });
  return (spec.grayscale ? image.toColourspace('b-w') : image).png().toBuffer();
}

/** Writes `perClass` images of every class to an ImageFolder tar.gz at `file`; returns the class names. */
export async function writeSyntheticArchive(file: string, spec: SyntheticSpec): Promise<string[]> {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const pack = tar.pack();
  const tmp = `${file}.tmp`;
  const written = pipeline(pack as unknown as NodeJS.ReadableStream, createGzip(), fs.createWriteStream(tmp));
  const rng = new Prng(spec.seed);
  const names = Object.keys(CLASSES);
  for (let i = 0; i < spec.perClass; i++) {
    for (const cls of names) {
      const png = await renderImage(cls, rng, spec);
      await new Promise<void>((resolve, reject) => pack.entry({ name: `${cls}/${String(i).padStart(5, '0')}.png`, mtime: new Date(0) }, png, (err) => (err ? reject(err) : resolve())));
    }
  }
  pack.finalize();
  await written;
  fs.renameSync(tmp, file);
  return names;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      'per-class': { type: 'string', default: '100' },
      seed: { type: 'string', default: '1' },
      size: { type: 'string', default: '32' },
      gray: { type: 'boolean', default: false },
    },
  });
  if (!values.out) throw new Error('--out <file.tar.gz> is required');
  const spec = { perClass: Number(values['per-class']), seed: Number(values.seed), size: Number(values.size), grayscale: values.gray };
  const classes = await writeSyntheticArchive(values.out, spec);
  process.stdout.write(`${JSON.stringify({ out: values.out, classes, ...spec })}\n`);
}
