/** The convolutions of resnet-tiny on 28x28x1 inputs: the shapes the kernel benches time. */
export const TINY_RESNET_CONV_LAYERS = [
  { name: 'stem', hw: 28, ci: 1, co: 16, k: 3, s: 1 },
  { name: 'layer1', hw: 28, ci: 16, co: 16, k: 3, s: 1 },
  { name: 'layer2.down', hw: 28, ci: 16, co: 32, k: 3, s: 2 },
  { name: 'layer2.short', hw: 28, ci: 16, co: 32, k: 1, s: 2 },
  { name: 'layer2', hw: 14, ci: 32, co: 32, k: 3, s: 1 },
  { name: 'layer3.down', hw: 14, ci: 32, co: 64, k: 3, s: 2 },
  { name: 'layer3', hw: 7, ci: 64, co: 64, k: 3, s: 1 },
];
