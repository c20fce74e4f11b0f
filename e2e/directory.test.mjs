// End-to-end tests of the public verification directory (issue 5): the real `quytac serve --demo`
// binary, driven by Debian's headless Chromium through playwright-core. The pages check the Ed25519
// signatures of badges and staff attestations in the browser (WebCrypto); these tests check that a
// genuine record is shown valid, a tampered one invalid, and that revocation and a changed display
// name show up beside the browser's verdict.
//
// Environment: see harness.mjs.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startServer, stopServer, api, launchChromium, artifactsDir, STEP_TIMEOUT } from './harness.mjs';

describe('quytac public verification directory in headless Chromium', () => {
  let tmp;
  let server;
  let browser;
  let shots;

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'quytac-e2e-dir-'));
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

  /** Opens a page and waits for the in-page signature checks to finish. */
  async function open(page, urlPath) {
    const r = await page.goto(server.base + urlPath);
    assert.equal(r.status(), 200, urlPath);
    await page.waitForSelector('body[data-verified="done"]');
  }

  const results = (page) => page.$$eval('.signed', (els) => els.map((e) => e.dataset.result));

  test('searching the directory finds the verified agency and the vouched account', { timeout: STEP_TIMEOUT }, async () => {
    await withPage(async (page) => {
      await page.goto(`${server.base}/directory`);
      await page.fill('#q', 'so thong tin');
      await Promise.all([page.waitForURL(/\/directory\?q=/), page.click('#search button')]);
      const rows = await page.$$eval('#agencies tr.agency', (trs) => trs.map((tr) => ({ text: tr.innerText, verified: tr.classList.contains('verified') })));
      assert.equal(rows.length, 1, JSON.stringify(rows));
      assert.match(rows[0].text, /Sở Thông tin và Truyền thông Hà Nội/);
      assert.ok(rows[0].verified, 'the demo agency holds a badge');

      await page.fill('#q', '@nguyen.van');
      await Promise.all([page.waitForURL(/q=%40nguyen/), page.click('#search button')]);
      const accounts = await page.$$eval('#accounts tr.account', (trs) => trs.map((tr) => tr.innerText));
      assert.equal(accounts.length, 1, JSON.stringify(accounts));
      assert.match(accounts[0], /Nguyễn Văn An/);
      assert.match(accounts[0], /Sở Thông tin và Truyền thông Hà Nội/);
      await page.screenshot({ path: path.join(shots, 'directory.png'), fullPage: true });
    });
  });

  test('the badge signature is checked in the page, and a tampered badge fails', { timeout: STEP_TIMEOUT }, async () => {
    await withPage(async (page) => {
      await open(page, '/directory/agencies/so-tt-hn');
      assert.match(await page.textContent('#page-status'), /Trang đã xác thực/);
      assert.equal(await page.getAttribute('#badge .server-verdict', 'data-status'), 'valid');
      assert.deepEqual(await results(page), ['valid']);
      assert.match(await page.textContent('#badge .browser-verdict'), /chữ ký hợp lệ \(ed25519-[0-9a-f]{16}\)/);
      await page.screenshot({ path: path.join(shots, 'agency-verified.png'), fullPage: true });

      // Any change to the signed payload breaks the signature, in the browser too.
      await page.$eval('#badge .signed', (el) => {
        el.dataset.signed = el.dataset.signed.replace('"page_handle":"sotttt.hanoi"', '"page_handle":"sotttt.hanoj"');
      });
      await page.evaluate(() => window.quytacVerifyAll());
      assert.deepEqual(await results(page), ['invalid']);
      assert.match(await page.textContent('#badge .browser-verdict'), /chữ ký KHÔNG hợp lệ/);
      // Reformatting (not canonical) is refused as well.
      await page.$eval('#badge .signed', (el) => {
        el.dataset.signed = JSON.stringify(JSON.parse(el.dataset.signed), null, 2);
      });
      await page.evaluate(() => window.quytacVerifyAll());
      assert.deepEqual(await results(page), ['invalid']);

      // The agency without a page administrator shows the AG-3 finding and no badge.
      await page.goto(`${server.base}/directory/agencies/ubnd-q1`);
      assert.match(await page.textContent('#findings'), /AG-3/);
      assert.match(await page.textContent('#findings'), /AG-1/);
      assert.equal(await page.locator('#no-badge').count(), 1);
    });
  });

  test('a revoked badge still has a genuine signature but the page is no longer verified', { timeout: STEP_TIMEOUT }, async () => {
    const r = await api(server, 'DELETE', '/v1/agencies/so-tt-hn/badge', {
      token: server.tokens.admin,
      body: { reason: 'kiểm thử e2e: thu hồi' },
    });
    assert.equal(r.status, 200, r.text);
    await withPage(async (page) => {
      await open(page, '/directory/agencies/so-tt-hn');
      assert.match(await page.textContent('#page-status'), /chưa xác thực/);
      assert.equal(await page.getAttribute('#badge .server-verdict', 'data-status'), 'revoked');
      assert.match(await page.textContent('#badge'), /kiểm thử e2e: thu hồi/);
      assert.deepEqual(await results(page), ['valid'], 'the signature itself is still genuine');
      await page.screenshot({ path: path.join(shots, 'agency-revoked.png'), fullPage: true });
    });
  });

  test('a vouched account loses its verification when its display name changes', { timeout: STEP_TIMEOUT }, async () => {
    await withPage(async (page) => {
      await open(page, '/directory/accounts/nguyen.van.an');
      assert.match(await page.textContent('#account-status'), /Được cơ quan xác nhận/);
      assert.equal(await page.getAttribute('#vouch-so-tt-hn .server-verdict', 'data-status'), 'valid');
      assert.deepEqual(await results(page), ['valid']);

      const r = await api(server, 'PATCH', '/v1/accounts/nguyen.van.an', {
        token: server.tokens.admin,
        body: { display_name: 'An Nguyễn 2024' },
      });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.attestations_no_longer_binding.length, 1);

      await open(page, '/directory/accounts/nguyen.van.an');
      assert.match(await page.textContent('#account-status'), /Chưa được cơ quan nào xác nhận/);
      assert.equal(await page.getAttribute('#vouch-so-tt-hn .server-verdict', 'data-status'), 'display_name_changed');
      assert.deepEqual(await results(page), ['valid'], 'the attestation is genuine but binds the old name');
      const verify = await api(server, 'GET', '/v1/verify/nguyen.van.an');
      assert.equal(verify.json.verified, false);
      await page.screenshot({ path: path.join(shots, 'account-changed.png'), fullPage: true });
    });
  });
});
