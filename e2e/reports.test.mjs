// End-to-end test of the transparency page (issue 14, figures that do not mislead): the
// period picker and the CSV and JSON downloads of the period shown, at 390 px (a phone) and
// 1280 px, on the real `quytac serve --demo` binary in Debian's headless Chromium.
//
// Environment: see harness.mjs.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startServer, stopServer, launchChromium, artifactsDir, STEP_TIMEOUT } from './harness.mjs';

describe('transparency period picker and downloads in headless Chromium', () => {
  let tmp;
  let shots;
  let server;
  let browser;

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'quytac-e2e-reports-'));
    shots = await artifactsDir();
    server = await startServer(tmp);
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close().catch(() => {});
    if (server) await stopServer(server);
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  for (const width of [390, 1280]) {
    test(`a reader picks a period and downloads its figures at ${width} px`, { timeout: STEP_TIMEOUT }, async () => {
      const context = await browser.newContext({ locale: 'vi-VN', viewport: { width, height: 900 }, acceptDownloads: true });
      context.setDefaultTimeout(15_000);
      const page = await context.newPage();
      const errors = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => {
        if (/Content Security Policy/i.test(m.text())) errors.push(m.text());
      });
      try {
        await page.goto(`${server.base}/`);
        await Promise.all([page.waitForURL(`${server.base}/transparency`), page.click('nav >> text=Minh bạch')]);
        assert.match(await page.textContent('h1'), /Báo cáo minh bạch/);
        assert.match(await page.textContent('#chart-axes'), /Trục ngang/);

        // The picker: a chosen period is shown and kept in the form.
        await page.fill('#from', '2020-01-01');
        await page.fill('#to', '2020-03-31');
        await Promise.all([page.waitForURL(/\/transparency\?from=2020-01-01&to=2020-03-31/), page.click('#show')]);
        assert.equal(await page.inputValue('#from'), '2020-01-01');
        assert.equal(await page.inputValue('#to'), '2020-03-31');
        assert.equal(await page.textContent('#total'), '0');
        const width_ = await page.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(width_ <= width, `no horizontal scroll at ${width} px: ${width_}`);
        await page.screenshot({ path: path.join(shots, `transparency-period-${width}.png`), fullPage: true });

        // The downloads are of the same period.
        const [csv] = await Promise.all([page.waitForEvent('download'), page.click('#download-csv')]);
        assert.equal(csv.suggestedFilename(), 'transparency-2020-01-01-2020-03-31.csv');
        const csvText = await readFile(await csv.path(), 'utf8');
        assert.match(csvText, /^\uFEFFsection,key,value\r\n/);
        assert.match(csvText, /\r\nperiod,from,2020-01-01\r\n/);
        assert.match(csvText, /\r\nperiod,to_inclusive,2020-03-31\r\n/);
        assert.match(csvText, /\r\noutcomes,cases_decided,0\r\n/);
        const [json] = await Promise.all([page.waitForEvent('download'), page.click('#download-json')]);
        const report = JSON.parse(await readFile(await json.path(), 'utf8'));
        assert.equal(report.from, '2020-01-01');
        assert.equal(report.to, '2020-04-01');
        assert.equal(report.decisions, 0);

        // A date that does not exist: a Vietnamese message, the default period shown.
        await page.goto(`${server.base}/transparency?from=2020-02-30&to=2020-03-01`);
        assert.match(await page.textContent('#period-error'), /Khoảng thời gian không hợp lệ/);
        assert.deepEqual(errors, [], 'no JavaScript or CSP errors');
      } finally {
        await context.close();
      }
    });
  }
});
