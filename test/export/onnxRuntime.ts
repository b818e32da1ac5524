// Runs an ONNX export in onnxruntime-node (CPU).
import ort from 'onnxruntime-node';

export async function onnxFeatures(model: Uint8Array, input: { data: Float32Array; shape: number[] }): Promise<{ features: Float32Array; dims: readonly number[] }> {
  const session = await ort.InferenceSession.create(model);
  try {
    const out = await session.run({ image: new ort.Tensor('float32', input.data, input.shape) });
    const features = out.features!;
    return { features: features.data as Float32Array, dims: features.dims };
  } finally {
    await session.release();
  }
}
