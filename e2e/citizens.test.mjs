// End-to-end tests of the citizens' pages (issue 14, item 3): a citizen asks an agency from
// its page — warned of the personal data in the question, confirms —, is given a private
// link; an officer signs in, answers from the inbox (the answer checked first); the citizen's
// private link then shows the answer. At 1280 and at 390 px. And a comment on a consultation
// from its page. The real `quytac serve --demo` on a temporary SQLite database, in Debian's
// headless Chromium through playwright-core.
//
// Environment: see harness.mjs.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startServer, stopServer, launchChromium, artifactsDir, STEP_TIMEOUT } from './harness.mjs';

// The demo's officer token acts for this agency (crates/server/src/demo.rs).
const AGENCY = 'so-tt-hn';

describe('citizens and officers on the web in headless Chromium', () => {
  let tmp;
  let shots;
  let server;
  let browser;

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'quytac-e2e-citizens-'));
    shots = await artifactsDir();
    server = await startServer(tmp);
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close().catch(() => {});
    if (server) await stopServer(server);
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  /** A fresh browser (its own cookies) at `width` px; fails on any script or CSP error. */
  async function withPage(width, fn) {
    const context = await browser.newContext({ locale: 'vi-VN', viewport: { width, height: 900 } });
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
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

  /** The page is no wider than the viewport (no horizontal scroll on a phone). */
  async function fits(page, width) {
    const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(scroll <= width, `${page.url()} is ${scroll} px wide at ${width} px`);
  }

  async function submit(page, selector) {
    await Promise.all([
      page.waitForEvent('framenavigated', (f) => f === page.mainFrame()),
      page.click(selector),
    ]);
    await page.waitForLoadState('load');
  }

  for (const width of [1280, 390]) {
    test(`at ${width} px a citizen asks, an officer answers in the inbox, the private link shows the answer`, { timeout: STEP_TIMEOUT * 2 }, async () => {
      const question = `Xin hỏi lịch tiếp công dân (${width}); số điện thoại của tôi là 0912 345 678.`;
      const answer = `Sở tiếp công dân sáng thứ Năm hằng tuần (${width}).`;
      let link;
      await withPage(width, async (page) => {
        // The agency page links to the directory and back.
        await page.goto(`${server.base}/agencies/${AGENCY}/responsiveness`);
        assert.equal(await page.getAttribute('#directory-link', 'href'), `/directory/agencies/${AGENCY}`);
        await submit(page, '#directory-link');
        assert.equal(new URL(page.url()).pathname, `/directory/agencies/${AGENCY}`);
        await submit(page, '#responsiveness-link');
        assert.equal(new URL(page.url()).pathname, `/agencies/${AGENCY}/responsiveness`);
        await page.fill('#ask-text', question);
        await page.fill('#ask-name', 'Nguyễn Thị Lan');
        await page.fill('#ask-contact', 'lan@example.vn');
        await submit(page, '#check-text');
        // The warning names the phone number and shows the evidence in words.
        const warning = await page.textContent('#personal-data');
        assert.match(warning, /Số điện thoại/);
        assert.match(warning, /0912 345 678/);
        assert.equal(await page.inputValue('#ask-text'), question, 'the text stays to be edited');
        assert.equal(await page.locator('#send').count(), 0, 'no plain send before confirming');
        await page.screenshot({ path: path.join(shots, `citizens-warning-${width}.png`), fullPage: true });
        await submit(page, '#send-anyway');
        assert.match(page.url(), /\/inquiries\/follow\/[0-9a-f]{64}\?sent=1(#.*)?$/);
        assert.ok(await page.isVisible('#sent'));
        link = new URL(await page.getAttribute('#private-link', 'href'), server.base).href;
        assert.equal(await page.textContent('#status'), 'Đang chờ trả lời');
        assert.match(await page.textContent('#due'), /17:00, Thứ/);
        assert.ok(await page.isVisible('#no-answer'));
        const shown = await page.textContent('#question');
        assert.ok(!shown.includes('0912 345 678'), `masked: ${shown}`);
        await fits(page, width);
        await page.screenshot({ path: path.join(shots, `citizens-link-${width}.png`), fullPage: true });
      });

      // A wrong secret is a Vietnamese 404 page.
      await withPage(width, async (page) => {
        const wrong = link.replace(/[0-9a-f](?=[0-9a-f]{10}$)/, (c) => (c === '0' ? '1' : '0'));
        assert.notEqual(wrong, link);
        const r = await page.goto(wrong);
        assert.equal(r.status(), 404);
        assert.match(await page.textContent('h1'), /Không tìm thấy yêu cầu/);
      });

      // The officer signs in with the demo's token and answers from the inbox.
      await withPage(width, async (page) => {
        await page.goto(`${server.base}/login?next=%2Fconsole%2Finbox`);
        await page.fill('#token', server.tokens.agency_officer);
        await submit(page, '#login');
        assert.equal(new URL(page.url()).pathname, '/console/inbox');
        const row = page.locator('#inbox tr.inquiry', { hasText: `(${width})` });
        assert.equal(await row.count(), 1, 'the question is in the inbox');
        assert.match(await row.textContent(), /Đang chờ trả lời/);
        // Overdue inquiries come first, marked in words.
        const marks = await page.$$eval('#inbox tr.inquiry', (trs) => trs.map((tr) => tr.classList.contains('overdue')));
        assert.deepEqual(marks, [...marks].sort((a, b) => Number(b) - Number(a)), 'overdue first');
        if (marks[0]) assert.match(await page.textContent('#inbox tr.overdue .overdue-mark'), /QUÁ HẠN/);
        await fits(page, width);
        await page.screenshot({ path: path.join(shots, `citizens-inbox-${width}.png`), fullPage: true });
        await submit(page, `#inbox tr.inquiry:has-text("(${width})") a.answer-link`);
        await fits(page, width);
        await page.fill('#answer-text', answer);
        await submit(page, '#check-text');
        assert.ok(await page.isVisible('#check-clean'));
        await submit(page, '#send');
        assert.match(page.url(), /\/console\/inbox\?answered=\d+$/);
        assert.ok(await page.isVisible('#notice'));
      });

      // The citizen's private link shows the answer.
      await withPage(width, async (page) => {
        await page.goto(link);
        assert.equal(await page.textContent('#status'), 'Đã trả lời');
        assert.match(await page.textContent('#answers'), new RegExp(answer.replace(/[()]/g, '\\$&')));
        await page.screenshot({ path: path.join(shots, `citizens-answered-${width}.png`), fullPage: true });
      });
    });
  }

  test('a comment from the consultation page is checked, sent and published masked', { timeout: STEP_TIMEOUT }, async () => {
    await withPage(390, async (page) => {
      await page.goto(`${server.base}/consultations/1`);
      assert.equal(await page.locator('text=Gửi ý kiến qua API').count(), 0);
      const comment = 'Tôi đồng tình với dự thảo, mức phí như vậy là hợp lý.';
      await page.selectOption('#comment-stance', 'support');
      await page.fill('#comment-text', comment);
      await submit(page, '#check-text');
      assert.ok(await page.isVisible('#check-clean'));
      await submit(page, '#send');
      assert.match(page.url(), /\/consultations\/1\?sent=published/);
      assert.ok(await page.isVisible('#comment-notice'));
      assert.match(await page.textContent('#comments'), /mức phí như vậy là hợp lý/);
    });
  });
});
