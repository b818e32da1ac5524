// bench/reference/flops.py: the step FLOPs that bench/compare.ts divides both frameworks' step times
// by, checked on layers whose work is known by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { PYTHON, torchMissing } from '../reference/harness.ts';

const REFERENCE = path.resolve(import.meta.dirname, '../../bench/reference');

const COUNT = `
import json, torch, flops
torch.manual_seed(0)
conv = torch.nn.Conv2d(4, 8, 3, padding=1, groups=2)
up = torch.nn.ConvTranspose2d(8, 2, 2, stride=2)
lin = torch.nn.Linear(8, 5)
x = torch.randn(2, 4, 6, 6)
q, k = torch.randn(3, 7, 16, requires_grad=True), torch.randn(3, 7, 16, requires_grad=True)
def step():
    y = conv(x)
    (lin(y.mean((2, 3))).sum() + up(y).sum()).backward()
frozen_input = flops.step_flops(step)
x.requires_grad_(True)
print(json.dumps({
    'frozenInput': frozen_input,
    'inputGrad': flops.step_flops(step),
    'attention': flops.step_flops(lambda: (q @ k.transpose(1, 2)).sum().backward()),
}))
`;

test('counts convolutions (grouped, transposed), their gradients and matrix products', { skip: torchMissing() }, () => {
  const counted = JSON.parse(execFileSync(PYTHON, ['-c', COUNT], { cwd: REFERENCE, encoding: 'utf8' })) as Record<string, number>;
  // 2 flops per multiply-add: conv 2·8·36 outputs × 2·9 weights each; transposed 2·8·36 inputs × 2·4
  const conv = 2 * (2 * 8 * 36) * (2 * 9);
  const up = 2 * (2 * 8 * 36) * (2 * 4);
  const linear = 2 * 2 * 8 * 5;
  const attention = 2 * 3 * 7 * 16 * 7;
  // a backward costs two forwards (input and weight gradients), one where the input needs no gradient
  assert.deepEqual(counted, {
    frozenInput: 2 * conv + 3 * up + 3 * linear,
    inputGrad: 3 * conv + 3 * up + 3 * linear,
    attention: 3 * attention,
  });
});
