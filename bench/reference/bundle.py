"""Reads and writes the engine's tensor bundle format (src/engine/checkpoint.ts): b"SIMSIAM1", uint32 LE
header length, JSON header {meta, tensors: [{name, shape, offset, length}]}, zero padding to 4 bytes,
little-endian float32 blobs. Used to hand weights and views between the engine and the references."""
import json
import struct

import numpy as np
import torch

MAGIC = b'SIMSIAM1'


def read(path, keep=lambda name: True):
    """(meta, tensors by name), the tensors `keep` accepts only; each read from the file on its own,
    so the whole file is never in memory beside them (the step timer reports its peak RSS)."""
    with open(path, 'rb') as f:
        if f.read(8) != MAGIC:
            raise ValueError(f'{path} is not an engine bundle')
        (n,) = struct.unpack('<I', f.read(4))
        header = json.loads(f.read(n).decode())
        start = (12 + n + 3) // 4 * 4
        tensors = {}
        for t in header['tensors']:
            if keep(t['name']):
                f.seek(start + t['offset'])
                a = np.fromfile(f, dtype='<f4', count=t['length']).reshape(t['shape'])
                tensors[t['name']] = torch.from_numpy(a)
    return header['meta'], tensors


def write(path, meta, tensors):
    entries, blobs, offset = [], [], 0
    for name, t in tensors.items():
        a = np.ascontiguousarray(t.detach().cpu().numpy(), dtype='<f4')
        entries.append({'name': name, 'shape': list(a.shape), 'offset': offset, 'length': int(a.size)})
        blobs.append(a.tobytes())
        offset += a.nbytes
    head = json.dumps({'meta': meta, 'tensors': entries}).encode()
    pad = (-(12 + len(head))) % 4
    with open(path, 'wb') as f:
        f.write(MAGIC + struct.pack('<I', len(head)) + head + b'\0' * pad + b''.join(blobs))
