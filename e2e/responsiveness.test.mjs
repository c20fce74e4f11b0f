// End-to-end tests of the public responsiveness pages (issue 6, AG-7): the real
// `quytac serve --demo` binary on a temporary SQLite database, in Debian's headless Chromium
// through playwright-core. The demo loads agencies with inquiries answered on time, late, and
// one overdue and escalated.
//
// Environment: QUYTAC_BIN, CHROMIUM_BIN, E2E_ARTIFACTS (as for console.test.mjs).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = process.env.QUYTAC_BIN || path.join(REPO, 'target', 'debug', 'quytac');
const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
const STEP_TIMEOUT = 60_000;

/** Starts `quytac serve --demo` on a free port; resolves with its base URL and demo tokens. */
async function startServer(dir) {
  if (!existsSync(BIN)) {
    throw new Error(`no quytac binary at ${BIN}: run \`cargo build -p quytac\` or set QUYTAC_BIN`);
  }
  const child = spawn(
    BIN,
    ['serve', '--demo', '--addr', '127.0.0.1:0', '--db', `sqlite://${path.join(dir, 'e2e.db')}`,
      '--audit-key', path.join(dir, 'audit.key')],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RUST_LOG: 'warn' } },
  );
  process.once('exit', () => child.kill('SIGKILL'));
  const server = { child, tokens: {}, base: null };
  let log = '';
  try {
    server.base = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`quytac did not start; its log:\n${log}`)), 60_000);
      const onData = (chunk) => {
        log += chunk;
        for (const m of log.matchAll(/^demo token \((\w+)\): (\S+)$/gm)) server.tokens[m[1]] = m[2];
        const m = log.match(/serving on (http:\/\/127\.0\.0\.1:\d+)/);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      };
      child.stdout.setEncoding('utf8').on('data', onData);
      child.stderr.setEncoding('utf8').on('data', onData);
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`quytac exited (${code ?? signal}) before serving; its log:\n${log}`));
      });
    });
  } catch (e) {
    await stopServer(server);
    throw e;
  }
  return server;
}

/** SIGTERM (graceful shutdown), then SIGKILL after 5 s. */
async function stopServer({ child }) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

describe('public responsiveness pages in headless Chromium', () => {
  let tmp;
  let shots;
  let server;
  let browser;

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'quytac-e2e-resp-'));
    shots = process.env.E2E_ARTIFACTS || (await mkdtemp(path.join(os.tmpdir(), 'quytac-e2e-shots-')));
    await mkdir(shots, { recursive: true });
    server = await startServer(tmp);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      timeout: 60_000,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
        '--disable-component-update', '--no-first-run', '--disable-quic', '--disable-sync'],
    });
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
      const rows = await page.$$eval('#ranking tr.agency', (trs) => trs.map((tr) => ({
        id: tr.dataset.id,
        rank: Number(tr.cells[0].textContent),
        share: tr.cells[2].textContent,
      })));
      assert.ok(rows.length >= 2, JSON.stringify(rows));
      assert.deepEqual(rows.map((r) => r.rank), rows.map((_, i) => i + 1));
      // Shares are in decreasing order, agencies with nothing judged last.
      const shares = rows.map((r) => (r.share === '—' ? -1 : Number(r.share.replace(' %', '').replace(',', '.'))));
      assert.deepEqual(shares, [...shares].sort((a, b) => b - a), JSON.stringify(rows));
      await page.screenshot({ path: path.join(shots, 'responsiveness-ranking.png'), fullPage: true });

      await Promise.all([
        page.waitForURL(`${server.base}/agencies/so-tt-hn/responsiveness`),
        page.click('#ranking tr.agency[data-id="so-tt-hn"] a'),
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
