"""Reads and writes the engine's tensor bundle format (src/engine/checkpoint.ts): b"SIMSIAM1", uint32 LE
header length, JSON header {meta, tensors: [{name, shape, offset, length}]}, zero padding to 4 bytes,
little-endian float32 blobs. Used to hand weights and views between the engine and the references."""
import json
import struct

import numpy as np
import torch

MAGIC = b'SIMSIAM1'


def read(path):
    data = open(path, 'rb').read()
    if data[:8] != MAGIC:
        raise ValueError(f'{path} is not an engine bundle')
    (n,) = struct.unpack('<I', data[8:12])
    header = json.loads(data[12:12 + n].decode())
    start = (12 + n + 3) // 4 * 4
    tensors = {}
    for t in header['tensors']:
        a = np.frombuffer(data, dtype='<f4', count=t['length'], offset=start + t['offset']).reshape(t['shape'])
        tensors[t['name']] = torch.from_numpy(a.copy())
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
