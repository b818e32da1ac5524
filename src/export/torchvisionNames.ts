// The engine's backbone names (src/engine/README.md) → torchvision's ResNet state-dict names, so an
// exported ResNet-18/50 loads into `torchvision.models.resnet18()` with strict=True. The CIFAR-style
// backbones use the same scheme (python/simsiam_backbones.py builds them).
const RULES: Array<[RegExp, string]> = [
  [/^stem\.conv\.weight$/, 'conv1.weight'],
  [/^stem\.bn\.(\w+)$/, 'bn1.$1'],
  [/^(layer\d+\.\d+)\.downsample\.conv\.weight$/, '$1.downsample.0.weight'],
  [/^(layer\d+\.\d+)\.downsample\.bn\.(\w+)$/, '$1.downsample.1.$2'],
  [/^(layer\d+\.\d+)\.(\d)\.conv\.weight$/, '$1.conv$2.weight'],
  [/^(layer\d+\.\d+)\.(\d)\.bn\.(\w+)$/, '$1.bn$2.$3'],
];

export function torchvisionName(engineName: string): string {
  for (const [pattern, replacement] of RULES) {
    if (pattern.test(engineName)) return engineName.replace(pattern, replacement);
  }
  throw new Error(`backbone tensor ${engineName} has no torchvision name`);
}
