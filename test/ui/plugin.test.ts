// The page and its bundle as served, without a browser: the bundle builds from a fresh checkout's
// sources on first request, and needs no API key (the page asks for one).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { createTestEnv, type TestEnv } from '../helpers/harness.ts';

describe('/ui', () => {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv();
  });
  after(async () => env.close());

  it('redirects /ui to the page, which loads the bundle', async () => {
    const redirect = await request(env.app.server).get('/ui').expect(302);
    assert.equal(redirect.headers.location, '/ui/');
    const page = await request(env.app.server).get('/ui/').expect(200);
    assert.match(page.headers['content-type'], /^text\/html/);
    assert.match(page.text, /<script type="module" src="\/ui\/assets\/app.js">/);
    assert.match(page.text, /href="\/ui\/assets\/app.css"/);
  });

  it('serves the bundled script and styles, uPlot\'s included', async () => {
    const js = await request(env.app.server).get('/ui/assets/app.js').expect(200);
    assert.match(js.headers['content-type'], /^text\/javascript/);
    assert.ok(js.text.includes('/v1/jobs/{id}/metrics'), 'the page reads metric history through the typed client');
    assert.ok(js.text.includes('jobUpdated'), 'and follows jobs over the subscription');
    const css = await request(env.app.server).get('/ui/assets/app.css').expect(200);
    assert.match(css.headers['content-type'], /^text\/css/);
    assert.ok(css.text.includes('.uplot'), 'uPlot\'s stylesheet is bundled');
  });
});
