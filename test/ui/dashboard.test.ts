// The dashboard in a real headless chromium against the real service (PostgreSQL, s3rver, an
// in-process worker): sign in, upload a folder and an archive, start a tiny job and watch its curve
// grow over the subscription, cancel another, compare both, open the embedding map and a point's
// neighbours, run a linear probe. Set UI_SCREENSHOTS=docs/screenshots to refresh the README's images.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { Page } from 'playwright-core';
import { createTestEnv, type TestEnv } from '../helpers/harness.ts';
import { patternPng } from '../helpers/images.ts';
import { makeTar } from '../ingest/fixtures.ts';
import { startWorker, type WorkerHandle } from '../../workers/worker.ts';
import { openBrowser, screenshot, type Browser } from './browser.ts';

const CLASSES = ['circle', 'square', 'stripe', 'wave'];
const PER_CLASS = 16;
// generous: the machine may be shared with other test runs
const TIMEOUT = Number(process.env.UI_TEST_TIMEOUT_MS ?? 240_000);

describe('dashboard at /ui in headless chromium', () => {
  let env: TestEnv;
  let worker: WorkerHandle;
  let browser: Browser;
  let page: Page;
  let base: string;
  let folder: string;
  let firstJob: string;
  let secondJob: string;
  const requests: string[] = [];
  // uncaught errors in the page: none is expected
  const pageErrors: string[] = [];

  before(async () => {
    env = await createTestEnv();
    base = await env.app.listen({ port: 0, host: '127.0.0.1' });
    worker = await startWorker(env.services, pino({ level: 'silent' }), { backend: 'wasm', reportIntervalMs: 100 });
    // two label folders to drop as a folder; two more classes go in an archive
    folder = await fs.mkdtemp(path.join(os.tmpdir(), 'simsiam-ui-'));
    for (const [cls, name] of CLASSES.slice(0, 2).entries()) {
      await fs.mkdir(path.join(folder, 'shapes', name), { recursive: true });
      for (let i = 0; i < PER_CLASS; i++) await fs.writeFile(path.join(folder, 'shapes', name, `${i}.png`), await patternPng(cls, i, 28));
    }
    browser = await openBrowser();
    page = browser.page;
    page.setDefaultTimeout(TIMEOUT);
    page.on('request', (r) => requests.push(`${r.method()} ${new URL(r.url()).pathname}`));
    page.on('pageerror', (e) => pageErrors.push(e.message));
  });
  after(async () => {
    await browser?.close();
    await worker?.stop();
    await env?.close();
    if (folder) await fs.rm(folder, { recursive: true, force: true });
  });

  it('refuses a wrong key with its error code, then signs in with the right one', async () => {
    await page.goto(`${base}/ui`);
    await screenshot(page, 'login');
    await page.fill('input[name=apiKey]', 'ssk_not_a_key');
    await page.click('button[type=submit]');
    await page.getByRole('alert').filter({ hasText: 'INVALID_API_KEY' }).waitFor();
    await page.fill('input[name=apiKey]', env.apiKey);
    await page.click('button[type=submit]');
    await page.getByRole('link', { name: 'Datasets' }).waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.getItem('simsiam.apiKey')), env.apiKey);
  });

  it('creates a dataset and uploads a folder and a dropped archive, with thumbnails and the label histogram', async () => {
    await page.fill('input[name=datasetName]', 'shapes');
    await page.click('text=Create');
    await page.getByRole('heading', { name: 'shapes' }).waitFor();

    // a folder picked with the directory chooser: `shapes/<label>/<file>` labels by folder
    await page.setInputFiles('input[name=folder]', path.join(folder, 'shapes'));
    await page.getByTestId('upload-result').filter({ hasText: `Added ${2 * PER_CLASS}` }).waitFor();

    // an archive dropped on the zone (a DataTransfer made in the page, as a drag from the desktop delivers)
    const entries = [];
    for (const [cls, name] of CLASSES.entries()) {
      if (cls < 2) continue;
      for (let i = 0; i < PER_CLASS; i++) entries.push({ name: `${name}/${i}.png`, data: await patternPng(cls, i, 28) });
    }
    const archive = (await makeTar(entries, { gzip: true })).toString('base64');
    const transfer = await page.evaluateHandle((b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const t = new DataTransfer();
      t.items.add(new File([bytes], 'more-shapes.tar.gz', { type: 'application/gzip' }));
      return t;
    }, archive);
    // the progress bar's values over the upload, recorded as they appear
    await page.evaluate(() => {
      const seen: number[] = ((window as unknown as { progressSeen: number[] }).progressSeen = []);
      new MutationObserver(() => {
        const bar = document.querySelector('[role=progressbar]');
        if (bar) seen.push(Number(bar.getAttribute('aria-valuenow')));
      }).observe(document.body, { subtree: true, childList: true, attributes: true });
    });
    await page.dispatchEvent('[data-testid=dropzone]', 'drop', { dataTransfer: transfer });
    await page.getByTestId('upload-result').filter({ hasText: `Added ${2 * PER_CLASS}` }).waitFor();
    await page.getByTestId('image-count').filter({ hasText: `${CLASSES.length * PER_CLASS} images` }).waitFor();
    const progress = await page.evaluate(() => (window as unknown as { progressSeen: number[] }).progressSeen);
    assert.ok(progress.length > 0, 'a progress bar was shown during the upload');
    assert.ok(progress.every((v) => v >= 0 && v <= 100) && progress.at(-1) === 100, `progress ${progress}`);
    assert.ok(requests.some((r) => /^POST \/v1\/datasets\/ds_[\w-]+\/archive$/.test(r)), 'the archive went to /archive');
    assert.ok(requests.some((r) => /^POST \/v1\/datasets\/ds_[\w-]+\/images$/.test(r)), 'the folder went to /images');

    // thumbnails decoded by the browser, captioned with their labels
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=thumbnails] img')].filter((i) => (i as HTMLImageElement).naturalWidth > 0).length >= 40);
    const captions = await page.locator('[data-testid=thumbnails] figcaption').allInnerTexts();
    assert.deepEqual(new Set(captions), new Set(CLASSES));
    const histogram = await page.evaluate(() => (document.querySelector('[data-chart=label-histogram]') as unknown as { uplot: { data: number[][] } }).uplot.data);
    assert.deepEqual(histogram.slice(1).flat().filter((v) => v !== null), [PER_CLASS, PER_CLASS, PER_CLASS, PER_CLASS]);
    await screenshot(page, 'datasets');
  });

  const startJob = async (fields: Record<string, string>) => {
    await page.click('text=Train on it');
    const backbone = page.locator('select[name=backbone]');
    await backbone.waitFor();
    return { backbone, submit: async () => {
      for (const [name, value] of Object.entries(fields)) {
        if (await page.locator(`select[name="${name}"]`).count()) await page.selectOption(`select[name="${name}"]`, value);
        else await page.fill(`input[name="${name}"]`, value);
      }
      await page.click('text=Start training');
      await page.getByTestId('job-live').waitFor();
      return page.url().split('#/jobs/')[1];
    } };
  };

  it('builds the job form from the config schema and follows a tiny job live, without polling', async () => {
    const form = await startJob({ imageSize: '16', channels: '1', batchSize: '16', projectorDim: '64', epochs: '3' });
    // pickers and defaults come from the OpenAPI document
    assert.deepEqual(await form.backbone.locator('option').allInnerTexts(), ['resnet-tiny', 'resnet-small', 'resnet18-cifar', 'resnet18', 'resnet50', 'vit-micro', 'vit-tiny', 'vit-small']);
    assert.equal(await form.backbone.inputValue(), 'resnet-tiny');
    // a ResNet has no patch size: the ViT fields come and go with the backbone
    assert.equal(await page.locator('input[name="patchSize"]').count(), 0);
    await form.backbone.selectOption('vit-micro');
    await page.locator('input[name="patchSize"]').waitFor();
    await form.backbone.selectOption('resnet-tiny');
    await page.locator('input[name="patchSize"]').waitFor({ state: 'detached' });
    assert.equal(await page.inputValue('input[name="baseLr"]'), '0.05');
    assert.equal(await page.inputValue('input[name="augment.hue"]'), '0.1');
    await screenshot(page, 'job-form');
    firstJob = await form.submit();
    assert.match(firstJob, /^job_/);

    // the loss chart gains points while the job runs: pushes over the subscription
    const loss = page.locator('[data-chart=loss]');
    const seen = new Set<number>();
    const deadline = Date.now() + TIMEOUT;
    while (Date.now() < deadline) {
      const status = await page.getByTestId('job-status').innerText();
      const points = Number((await loss.getAttribute('data-points').catch(() => null)) ?? 0);
      if (status === 'running' && points > 0) seen.add(points);
      if (status === 'succeeded' || status === 'failed') break;
      await page.waitForTimeout(50);
    }
    assert.equal(await page.getByTestId('job-status').innerText(), 'succeeded');
    assert.ok(seen.size >= 2, `the curve grew while running (point counts seen: ${[...seen]})`);
    const metricsReads = requests.filter((r) => r === `GET /v1/jobs/${firstJob}/metrics`);
    assert.equal(metricsReads.length, 1, 'the history is read once; the rest is pushed');
    assert.ok(Number(await page.getByTestId('job-live').getAttribute('data-pushes')) >= 3);
    // every curve is drawn, and the checkpoints table lists the final one
    for (const chart of ['learning rate', 'collapse: std of l2-normalised outputs', 'kNN top-1', 'images/s', 'data wait (share of step time)']) {
      assert.ok(Number(await page.locator(`[data-chart="${chart}"]`).getAttribute('data-points')) > 0, chart);
    }
    await page.getByTestId('checkpoints').locator('text=final').waitFor();
    await screenshot(page, 'job-live');
  });

  it('cancels a running job from its page and compares two jobs on one chart', async () => {
    await page.goto(`${base}/ui/#/datasets`);
    const form = await startJob({ imageSize: '16', channels: '1', batchSize: '16', projectorDim: '64', epochs: '500' });
    secondJob = await form.submit();
    await page.getByTestId('job-status').filter({ hasText: 'running' }).waitFor();
    await page.waitForFunction(() => Number(document.querySelector('[data-chart=loss]')?.getAttribute('data-points')) >= 2);
    await page.click('text=Cancel');
    await page.getByTestId('job-status').filter({ hasText: 'cancelled' }).waitFor();

    await page.goto(`${base}/ui/#/jobs`);
    await page.getByLabel(`compare ${firstJob}`).check();
    await page.getByLabel(`compare ${secondJob}`).check();
    await page.click('text=Compare 2 selected');
    // both jobs drawn: each series has values
    await page.waitForFunction(() => {
      const u = (document.querySelector('[data-chart=compare]') as unknown as { uplot?: { series: unknown[]; data: unknown[][] } })?.uplot;
      return u?.series.length === 3 && u.data.slice(1).every((ys) => ys.some((y) => y !== null));
    });
    await screenshot(page, 'compare');
  });

  it('draws the embedding map (UMAP for a small set) and shows the neighbours of a clicked image', async () => {
    await page.goto(`${base}/ui/#/embeddings?job=${firstJob}`);
    await page.click('text=Show the map');
    await page.getByTestId('map-method').filter({ hasText: `UMAP of ${CLASSES.length * PER_CLASS} vectors` }).waitFor();
    // the pixel of one point, from the chart's own scales
    const point = await page.evaluate(() => {
      const el = document.querySelector('[data-chart=embedding-map]') as HTMLElement & { uplot: { data: Array<Array<number | null>>; valToPos(v: number, s: string): number; over: HTMLElement } };
      const u = el.uplot;
      const i = u.data[1].findIndex((v) => v !== null);
      const box = u.over.getBoundingClientRect();
      return { x: box.left + u.valToPos(u.data[0][i]!, 'x'), y: box.top + u.valToPos(u.data[1][i]!, 'y') };
    });
    await page.mouse.move(point.x, point.y);
    await page.waitForFunction(() => (document.querySelector('.tooltip img') as HTMLImageElement | null)?.naturalWidth);
    await page.mouse.click(point.x, point.y);
    const neighbours = page.getByTestId('neighbours');
    await neighbours.locator('text=this image').waitFor();
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=neighbours] img')].filter((i) => (i as HTMLImageElement).naturalWidth > 0).length === 9);
    const similarities = (await neighbours.locator('small').allInnerTexts()).slice(1).map((t) => Number(t.replace('cos ', '')));
    assert.equal(similarities.length, 8);
    assert.deepEqual(similarities, [...similarities].sort((a, b) => b - a), 'most similar first');
    await screenshot(page, 'embeddings');
  });

  it('runs a linear probe with baselines and shows it as a table and a bar chart', async () => {
    await page.goto(`${base}/ui/#/evaluations?job=${firstJob}`);
    await page.click('text=Run linear probe');
    const card = page.getByTestId('evaluation');
    await page.locator('[data-testid=evaluation][data-status=succeeded], [data-testid=evaluation][data-status=failed], [role=alert]').first().waitFor().catch(async (err) => {
      throw new Error(`${err.message}\n${await page.locator('main').innerText()}`);
    });
    assert.equal(await card.getAttribute('data-status').catch(() => null), 'succeeded', await page.locator('main').innerText());
    const rows = await card.locator('table.table tbody tr').allInnerTexts();
    assert.deepEqual(rows.map((r) => r.split('\t')[0]), ['SimSiam features', 'random-init backbone', 'raw pixels']);
    for (const row of rows) for (const cell of row.split('\t').slice(1)) assert.ok(Number(cell) >= 0 && Number(cell) <= 1, `score ${cell}`);
    const bars = await page.evaluate(() => (document.querySelector('[data-chart=evaluation-bars]') as unknown as { uplot: { series: unknown[] } }).uplot.series.length);
    assert.equal(bars, 4, 'one bar series per feature source');
    await screenshot(page, 'evaluations');
  });

  it('raised no uncaught error in the page', () => {
    assert.deepEqual(pageErrors, []);
  });
});
