// .npy header: numpy's own layout (64-byte aligned data, v1.0), parsed back by our parser and, when a
// NumPy is installed, by np.load itself; rows.json: resumable line reads from any row's byte offset.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { npyHeader, parseNpyHeader } from '../../src/data/npy.ts';
import { FIRST_ROW_OFFSET, readRows, rowLine, rowsClosing, rowsOpening } from '../../src/serving/rowsFile.ts';

const python = ['/usr/bin/python3', 'python3'].find((bin) => {
  try {
    execFileSync(bin, ['-c', 'import numpy'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
});

describe('npy', () => {
  it('writes numpy-style v1.0 headers that parse back', () => {
    for (const shape of [[0, 3], [7, 2048], [70000, 512], [5]]) {
      const header = npyHeader(shape);
      assert.equal(header.length % 64, 0);
      assert.equal(header[header.length - 1], 0x0a);
      const parsed = parseNpyHeader(header);
      assert.deepEqual(parsed.shape, shape);
      assert.equal(parsed.descr, '<f4');
      assert.equal(parsed.fortranOrder, false);
      assert.equal(parsed.dataOffset, header.length);
    }
  });

  it('loads in NumPy with shape, dtype and values intact', { skip: !python && 'no python with numpy' }, () => {
    const data = Float32Array.from({ length: 12 }, (_, i) => i / 3 - 1);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'npy-')), 'x.npy');
    fs.writeFileSync(file, Buffer.concat([npyHeader([4, 3]), Buffer.from(data.buffer)]));
    const out = execFileSync(python!, ['-c', `import numpy as np, json; a = np.load(${JSON.stringify(file)}); print(json.dumps([a.dtype.str, list(a.shape), a.astype(float).ravel().tolist()]))`]).toString();
    const [dtype, shape, values] = JSON.parse(out);
    assert.equal(dtype, '<f4');
    assert.deepEqual(shape, [4, 3]);
    assert.deepEqual(values, Array.from(data));
    fs.rmSync(path.dirname(file), { recursive: true });
  });
});

describe('rows.json', () => {
  const rows = [
    { imageId: 'img_a', label: 'cat' },
    { imageId: 'img_b', label: null },
    { imageId: 'img_c', label: 'naïve, "quoted"' },
  ];
  const text = rowsOpening + rows.map((r, i) => rowLine(r, i)).join('') + rowsClosing;

  it('is valid JSON', () => {
    assert.deepEqual(JSON.parse(text), rows);
  });

  it('reads from row 0 and resumes at any returned offset', async () => {
    const bytes = Buffer.from(text);
    const all = [];
    for await (const r of readRows(Readable.from([bytes.subarray(FIRST_ROW_OFFSET, 9), bytes.subarray(9)]), 0, FIRST_ROW_OFFSET)) all.push(r);
    assert.deepEqual(all.map(({ imageId, label }) => ({ imageId, label })), rows);
    const resumed = [];
    for await (const r of readRows(Readable.from([bytes.subarray(all[0].nextOffset)]), 1, all[0].nextOffset)) resumed.push(r);
    assert.deepEqual(resumed.map((r) => r.row), [1, 2]);
    assert.deepEqual(resumed[1].label, rows[2].label);
  });
});
