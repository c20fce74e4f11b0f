// End-to-end tests of the public responsiveness pages (issue 6, AG-7): the real
// `quytac serve --demo` binary on a temporary SQLite database, in Debian's headless Chromium
// through playwright-core. The demo loads agencies with inquiries answered on time, late, and
// one overdue and escalated.
//
// Environment: see harness.mjs.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startServer, stopServer, launchChromium, artifactsDir, STEP_TIMEOUT } from './harness.mjs';

describe('public responsiveness pages in headless Chromium', () => {
  let tmp;
  let shots;
  let server;
  let browser;

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'quytac-e2e-resp-'));
    shots = await artifactsDir();
    server = await startServer(tmp);
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close().catch(() => {});
    if (server) await stopServer(server);
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  async function withPage(fn) {
    const context = await browser.newContext({ locale: 'vi-VN', viewport: { width: 1100, height: 900 } });
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // Anything the Content-Security-Policy blocks (an inline script or style) is an error.
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) errors.push(m.text());
    });
    try {
      await fn(page);
      assert.deepEqual(errors, [], 'no JavaScript errors on the pages');
    } finally {
      await context.close();
    }
  }

  test('the ranking links each agency to its page, whose chart and table agree with the API', { timeout: STEP_TIMEOUT }, async () => {
    await withPage(async (page) => {
      // From the navigation bar, without signing in.
      await page.goto(`${server.base}/`);
      await Promise.all([page.waitForURL(`${server.base}/agencies/responsiveness`), page.click('nav >> text=Phản hồi của cơ quan')]);
      // Issue 14: agencies with fewer answers than the minimum are listed apart, unranked.
      const all = await page.$$eval('tr.agency', (trs) => trs.map((tr) => tr.dataset.id));
      assert.ok(all.length >= 2, JSON.stringify(all));
      const rows = await page.$$eval('#ranking tr.agency', (trs) => trs.map((tr) => ({
        id: tr.dataset.id,
        rank: Number(tr.cells[0].textContent),
        share: tr.cells[2].textContent,
      })));
      assert.deepEqual(rows.map((r) => r.rank), rows.map((_, i) => i + 1));
      // Shares are in decreasing order, agencies with nothing judged last.
      const shares = rows.map((r) => (r.share === '—' ? -1 : Number(r.share.replace(' %', '').replace(',', '.'))));
      assert.deepEqual(shares, [...shares].sort((a, b) => b - a), JSON.stringify(rows));
      await page.screenshot({ path: path.join(shots, 'responsiveness-ranking.png'), fullPage: true });

      await Promise.all([
        page.waitForURL(`${server.base}/agencies/so-tt-hn/responsiveness`),
        page.click('tr.agency[data-id="so-tt-hn"] a'),
      ]);
      assert.match(await page.textContent('h1'), /Sở Thông tin và Truyền thông Hà Nội/);
      assert.match(await page.textContent('body'), /giờ Việt Nam, UTC\+7/);
      const api = await (await fetch(`${server.base}/v1/agencies/so-tt-hn/responsiveness`)).json();
      assert.equal(Number(await page.textContent('#count')), api.total.count);
      assert.equal(Number(await page.textContent('#overdue')), api.total.overdue);
      assert.ok(api.total.overdue >= 1 && api.total.escalated >= 1, JSON.stringify(api.total));

      const chart = await page.$eval('#chart', (div) => {
        const svg = div.querySelector('svg');
        return {
          isSvg: svg instanceof SVGSVGElement,
          box: svg && svg.getBoundingClientRect().toJSON(),
          bars: [...div.querySelectorAll('svg rect.bar')].map((r) => ({
            height: r.getBBox().height,
            title: r.querySelector('title')?.textContent ?? '',
          })),
        };
      });
      assert.ok(chart.isSvg, 'the chart is an inline <svg>');
      assert.ok(chart.box.width > 100 && chart.box.height > 100, JSON.stringify(chart.box));
      // Every inquiry of every month is in one bar part, and each part is visible.
      let charted = 0;
      for (const bar of chart.bars) {
        assert.ok(bar.height > 0, `bar ${bar.title} has a height`);
        const m = bar.title.match(/^(\d{4}-\d{2}) · (Đúng hạn|Trễ hạn|Chưa đến hạn): (\d+)$/);
        assert.ok(m, `bar title "${bar.title}" reads "month · part: count"`);
        assert.ok(api.months.some((mo) => mo.key === m[1]), m[1]);
        charted += Number(m[3]);
      }
      assert.equal(charted, api.total.count);
      const months = await page.$$eval('#months tr.month', (trs) => trs.map((tr) => tr.cells[0].textContent));
      assert.deepEqual(months, api.months.map((m) => m.key));
      await page.screenshot({ path: path.join(shots, 'responsiveness-agency.png'), fullPage: true });
    });
  });

  test('a citizen question shows up masked and in the figures', { timeout: STEP_TIMEOUT }, async () => {
    const ask = await fetch(`${server.base}/v1/agencies/ubnd-q1/inquiries`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.tokens.citizen}`, 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'Xin hỏi lịch cắt điện, gọi tôi 0912 345 678.', kind: 'question' }),
    });
    assert.equal(ask.status, 201);
    const { inquiry } = await ask.json();
    assert.doesNotMatch(inquiry.text, /345 678/);
    assert.match(inquiry.due_at_local, /T17:00\+07:00$/);
    await withPage(async (page) => {
      await page.goto(`${server.base}/agencies/ubnd-q1/responsiveness`);
      const api = await (await fetch(`${server.base}/v1/agencies/ubnd-q1/responsiveness`)).json();
      assert.equal(Number(await page.textContent('#count')), api.total.count);
      assert.equal(Number(await page.textContent('#open')), api.total.open);
      assert.ok(api.total.open >= 1);
    });
  });
});
