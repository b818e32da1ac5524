// The bucket's key layout, in one place.
export const keys = {
  /** one image's bytes, content-addressed (the layout before packs; rows of earlier uploads keep it) */
  image: (sha256: string) => `images/sha256/${sha256.slice(0, 2)}/${sha256}`,
  /** many images' bytes back to back, one object per ingest batch (src/ingest/packs.ts) */
  imagePack: (packId: string) => `images/packs/${packId.slice(-2)}/${packId}`,
  uploadStaging: (datasetId: string, uploadId: string, index: number) => `uploads/${datasetId}/${uploadId}/${index}`,
  /** where a tenant puts objects for POST /v1/datasets/{id}/import (src/ingest/prefixImport.ts) */
  importNamespace: (tenantId: string) => `imports/${tenantId}/`,
  uploadPrefix: (datasetId: string, uploadId: string) => `uploads/${datasetId}/${uploadId}/`,
  /** every staged upload of a dataset */
  datasetUploadsPrefix: (datasetId: string) => `uploads/${datasetId}/`,
  /** every object of a job: checkpoints and the exported model */
  jobPrefix: (jobId: string) => `jobs/${jobId}/`,
  checkpoint: (jobId: string, epoch: number, step: number, final: boolean) =>
    `jobs/${jobId}/checkpoints/${final ? 'final' : `epoch-${String(epoch).padStart(4, '0')}-step-${String(step).padStart(8, '0')}`}.ckpt`,
  /** the final backbone as a tfjs-layers model: `model.json` and `weights.bin` */
  modelExport: (jobId: string, file: 'model.json' | 'weights.bin') => `jobs/${jobId}/model/${file}`,
  /** the backbone of a checkpoint for other frameworks (`safetensors`, `onnx`), built on first request */
  backboneExport: (jobId: string, checkpointId: string, extension: string) => `jobs/${jobId}/exports/${checkpointId}.${extension}`,
  embeddingVectors: (setId: string) => `embeddings/${setId}/vectors.npy`,
  embeddingRows: (setId: string) => `embeddings/${setId}/rows.json`,
  embeddingPrefix: (setId: string) => `embeddings/${setId}/`,
};
