// The dashboard's pure pieces, in Node: merging pushed metric points, reading events from them,
// and turning the config schema into form fields and back.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { jobEvents, mergePoints, type MetricPoint } from '../../src/ui/app/series.ts';
import { configFrom, fieldsFor, fieldsOf, trainingConfigMethods } from '../../src/ui/app/schemaForm.ts';
import { loadOpenApiDocument } from '../../src/api/openapiDocument.ts';

const point = (step: number, values: MetricPoint['values'], epoch = 0): MetricPoint => ({ epoch, step, values });

describe('metric series', () => {
  it('merges pushed points by step, later values winning, in step order', () => {
    const merged = mergePoints([point(1, { loss: -0.1 }), point(3, { loss: -0.3 })], [point(2, { loss: -0.2 }), point(3, { loss: -0.35, epochEnd: true })]);
    assert.deepEqual(merged.map((p) => [p.step, p.values.loss, p.values.epochEnd]), [[1, -0.1, undefined], [2, -0.2, undefined], [3, -0.35, true]]);
  });

  it('reads collapse, kNN dips and loss rises from epoch ends only', () => {
    const events = jobEvents([
      point(4, { epochEnd: true, knnTop1: 0.5, epochLoss: -0.5, collapsed: false }, 1),
      point(5, { knnTop1: 0.1, loss: 5 }, 1),
      point(8, { epochEnd: true, knnTop1: 0.6, epochLoss: -0.6, collapsed: false }, 2),
      point(12, { epochEnd: true, knnTop1: 0.55, epochLoss: -0.4, collapsed: true, zStd: 0.01 }, 3),
      point(16, { epochEnd: true, knnTop1: 0.59, epochLoss: -0.45, collapsed: true }, 4),
    ]);
    assert.deepEqual(events.map((e) => [e.kind, e.epoch]), [['collapse', 3], ['knn-dip', 3], ['loss-rise', 3]], 'a fall of 0.01 below the best is no dip; a continued collapse is one event');
  });
});

describe('job form from the OpenAPI document', () => {
  const doc = loadOpenApiDocument() as never;
  const [simsiam] = trainingConfigMethods(doc);
  const fields = fieldsOf(doc, simsiam.schema);

  it('offers the backbones as a picker with its default, and nests augment', () => {
    const backbone = fields.find((f) => f.name === 'backbone')!;
    assert.equal(backbone.kind, 'enum');
    assert.equal(backbone.default, 'resnet-tiny');
    assert.ok(backbone.choices!.includes('resnet50'));
    const augment = fields.find((f) => f.name === 'augment')!;
    assert.equal(augment.kind, 'object');
    assert.equal(augment.children!.find((c) => c.name === 'hue')!.path, 'augment.hue');
  });

  it('leaves out what the service writes (the budget plan) but offers the budget', () => {
    assert.ok(fields.some((f) => f.name === 'budget'));
    assert.ok(!fields.some((f) => f.name === 'budgetPlan'));
  });

  it('offers the ViT fields for ViT backbones only, for every method', () => {
    const vitFields = ['patchSize', 'posEmbed', 'pool', 'checkpointBlocks'];
    const names = (backbone: string) => fieldsFor(fields, backbone).map((f) => f.name);
    assert.ok(vitFields.every((n) => fields.some((f) => f.name === n)), 'the schema has them');
    assert.deepEqual(names('resnet-tiny').filter((n) => vitFields.includes(n)), []);
    assert.deepEqual(names('vit-micro').filter((n) => vitFields.includes(n)), vitFields);
    const mocoV3 = trainingConfigMethods(doc).find((m) => m.method === 'moco-v3')!;
    const mocoFields = fieldsOf(doc, mocoV3.schema);
    assert.ok(!fieldsFor(mocoFields, 'resnet-small').some((f) => f.name === 'freezePatchProjection'));
    assert.ok(fieldsFor(mocoFields, 'vit-tiny').some((f) => f.name === 'freezePatchProjection'));
    assert.ok(fieldsFor(mocoFields, 'resnet-small').some((f) => f.name === 'keyMomentum'), 'fields of every backbone stay');
  });

  it('sends only the values changed from their defaults', () => {
    const values = { backbone: 'resnet-tiny', epochs: 3, baseLr: 0.05, 'augment.hue': 0.2, 'augment.blur': 'auto', predictorHiddenDim: undefined };
    assert.deepEqual(configFrom(fields, values), { epochs: 3, augment: { hue: 0.2 } });
  });

  it('gives one field list per method when the config is a oneOf of methods, and leaves method to the picker', () => {
    const variant = (method: string, extra: object) => ({ type: 'object', properties: { method: { const: method, default: method }, epochs: { type: 'integer', default: 20 }, ...extra } });
    const oneOf = {
      paths: { '/v1/jobs': { post: { requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Req' } } } } } } },
      components: { schemas: { Req: { type: 'object', properties: { config: { $ref: '#/components/schemas/Config' } } }, Config: { oneOf: [variant('simsiam', {}), variant('byol', { emaMomentum: { type: 'number', default: 0.996 } })] } } },
    };
    const methods = trainingConfigMethods(oneOf as never);
    assert.deepEqual(methods.map((m) => [m.method, m.named]), [['simsiam', true], ['byol', true]]);
    assert.deepEqual(fieldsOf(oneOf as never, methods[1].schema).map((f) => f.name), ['epochs', 'emaMomentum']);
    // the service's own document is such a oneOf: its first variant is simsiam, and it is named
    assert.deepEqual([simsiam.method, simsiam.named], ['simsiam', true]);
  });
});
