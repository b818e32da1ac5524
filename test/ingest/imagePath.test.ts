import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { placeImagePath } from '../../src/ingest/imagePath.ts';

describe('placeImagePath (ImageFolder rule)', () => {
  it('labels a file by the directory that contains it and splits by the one above', () => {
    assert.deepEqual(placeImagePath('cat/1.png'), { ok: true, name: 'cat/1.png', label: 'cat', split: null });
    assert.deepEqual(placeImagePath('train/cat/1.png'), { ok: true, name: 'train/cat/1.png', label: 'cat', split: 'train' });
    assert.deepEqual(placeImagePath('./data/val/dog/2.png'), { ok: true, name: 'data/val/dog/2.png', label: 'dog', split: 'val' });
  });

  it('leaves top-level files unlabeled', () => {
    assert.deepEqual(placeImagePath('x.png'), { ok: true, name: 'x.png', label: null, split: null });
  });

  it('refuses parent segments and absolute paths', () => {
    for (const bad of ['../x.png', 'cat/../../x.png', '/etc/x.png', 'C:/x.png', '\\\\server\\x.png', 'a\\..\\x.png']) {
      assert.deepEqual(placeImagePath(bad), { ok: false, reason: 'PATH_TRAVERSAL' }, bad);
    }
  });
});
