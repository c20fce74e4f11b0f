// The moderation console in a browser (issue 14, items 1 and 8): a moderator clears 20 queued
// cases with the keyboard alone; a reviewer upholds one appeal and overturns another while a
// moderator only sees that the case awaits review; an overdue takedown comes first in the
// queue, counts down on its case and is marked done — at 1280 px and at 390 px.
//
// Environment: see harness.mjs.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startServer, stopServer, api, launchChromium, artifactsDir, STEP_TIMEOUT } from './harness.mjs';

const WIDTHS = [1280, 390];
const SLUR = 'Bọn bắc kỳ toàn lũ lừa đảo, đuổi hết về quê đi';

describe('the moderation console', () => {
  let tmp;
  let server;
  let browser;
  let shots;

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'quytac-e2e-moderation-'));
    shots = await artifactsDir();
    server = await startServer(tmp);
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close().catch(() => {});
    if (server) await stopServer(server);
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  /** A signed-in page of `role` at `width` px, closed after `fn`; no script errors allowed. */
  async function asRole(role, width, fn) {
    const context = await browser.newContext({ locale: 'vi-VN', viewport: { width, height: 900 } });
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) errors.push(m.text());
    });
    try {
      await page.goto(`${server.base}/login?next=/console/cases`);
      await page.fill('#token', server.tokens[role]);
      await Promise.all([page.waitForURL(`${server.base}/console/cases`), page.click('#login')]);
      await fn(page);
      assert.deepEqual(errors, [], 'no JavaScript errors on the pages');
    } finally {
      await context.close();
    }
  }

  async function navigated(page, action) {
    await Promise.all([page.waitForEvent('framenavigated', (f) => f === page.mainFrame()), action()]);
    await page.waitForLoadState('load');
  }

  /** The page is no wider than the viewport (no sideways scrolling). */
  async function fits(page, width) {
    const w = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(w <= width, `the page is ${w} px wide at a ${width} px viewport`);
  }

  /** Ingests a citizen's slur as post `id` through the API; returns its case id. */
  async function queued(id, marker) {
    const r = await api(server, 'POST', '/v1/posts', {
      token: server.tokens.moderator,
      body: { id, text: `${SLUR} ${marker}`, author: { id: `author-${marker}`, role: 'citizen' } },
    });
    assert.equal(r.status, 201, r.text);
    assert.ok(r.json.case?.id, `the post opens a case: ${r.text}`);
    return r.json.case.id;
  }

  for (const width of WIDTHS) {
    test(`a moderator clears 20 queued cases with the keyboard alone at ${width} px`, { timeout: STEP_TIMEOUT * 2 }, async () => {
      const marker = `kb${width}x`;
      const ids = [];
      for (let i = 0; i < 20; i++) ids.push(await queued(`${marker}-${i}`, marker));
      const statement = `Bài viết phân biệt vùng miền (${marker}); gắn nhãn cảnh báo.`;
      await asRole('moderator', width, async (page) => {
        await page.goto(`${server.base}/console/cases?q=${marker}`);
        const rows = await page.$$eval('#queue tr.case', (trs) => trs.map((tr) => Number(tr.dataset.id)));
        assert.deepEqual([...rows].sort((a, b) => a - b), [...ids].sort((a, b) => a - b));
        assert.match(await page.textContent('#total'), /20/);
        // The shortcuts are listed on the page for everyone.
        assert.match(await page.textContent('#shortcuts'), /j/);

        // ? shows the shortcuts; a assigns the current case to me (the page comes back).
        await page.keyboard.press('?');
        assert.ok(await page.$eval('#shortcuts', (el) => el.classList.contains('shown')));
        await page.keyboard.press('j');
        await navigated(page, () => page.keyboard.press('a'));
        const assigned = await page.$eval(`#queue tr.case[data-id="${rows[0]}"] td.assignee`, (td) => td.textContent);
        assert.match(assigned, /^Kiểm duyệt viên #\d+$/);

        // j moves to a case, x selects it: twenty times.
        for (let i = 0; i < 20; i++) {
          await page.keyboard.press('j');
          await page.keyboard.press('x');
        }
        const current = await page.$eval('#queue tr.current', (tr) => Number(tr.dataset.id));
        assert.equal(current, rows[19], 'j went down to the last case');
        assert.equal(await page.locator('#queue input.pick:checked').count(), 20);
        // d opens the decision for the selection: the statement has the focus.
        await page.keyboard.press('d');
        assert.equal(await page.evaluate(() => document.activeElement.id), 'bulk-statement');
        // Back to the action (typing its first letter chooses it), then the statement, then send.
        await page.keyboard.press('Shift+Tab');
        assert.equal(await page.evaluate(() => document.activeElement.id), 'bulk-action');
        await page.keyboard.press('g');
        assert.equal(await page.inputValue('#bulk-action'), 'label');
        await page.keyboard.press('Tab');
        await page.keyboard.type(statement);
        await page.keyboard.press('Tab');
        assert.equal(await page.evaluate(() => document.activeElement.id), 'bulk-decide');
        await navigated(page, () => page.keyboard.press('Enter'));

        const results = await page.$$eval('#bulk-results li', (lis) => lis.map((li) => [Number(li.dataset.case), li.className]));
        assert.equal(results.length, 20, JSON.stringify(results));
        assert.ok(results.every(([, c]) => c === 'ok'), JSON.stringify(results));
        assert.equal(await page.locator('#queue tr.case').count(), 0, 'the queue is cleared');
        await fits(page, width);
        await page.screenshot({ path: path.join(shots, `queue-cleared-${width}.png`), fullPage: true });
      });
      // Each case was decided on its own, with the one statement.
      for (const id of ids) {
        const c = await api(server, 'GET', `/v1/cases/${id}`, { token: server.tokens.moderator });
        assert.equal(c.json.status, 'decided');
        assert.equal(c.json.decisions.length, 1);
        assert.equal(c.json.decisions[0].action, 'label');
        assert.equal(c.json.decisions[0].statement, statement);
      }
      const left = await api(server, 'GET', `/v1/cases?status=open&q=${marker}`, { token: server.tokens.moderator });
      assert.equal(left.json.total, 0);
    });

    test(`a reviewer upholds one appeal and overturns another; a moderator only waits, at ${width} px`, { timeout: STEP_TIMEOUT }, async () => {
      const marker = `ap${width}x`;
      const cases = [];
      for (let i = 0; i < 2; i++) {
        const id = await queued(`${marker}-${i}`, marker);
        const d = await api(server, 'POST', `/v1/cases/${id}/decision`, {
          token: server.tokens.moderator,
          body: { rule: 'US-1', category: 'regional_discrimination', action: 'remove', statement: 'Gỡ bài phân biệt vùng miền.' },
        });
        assert.equal(d.status, 201, d.text);
        const a = await api(server, 'POST', `/v1/cases/${id}/appeal`, { token: server.tokens.admin, body: { reason: 'Tác giả không đồng ý.' } });
        assert.equal(a.status, 201, a.text);
        cases.push(id);
      }
      await asRole('moderator', width, async (page) => {
        await page.goto(`${server.base}/console/cases/${cases[0]}`);
        assert.equal(await page.getAttribute('#status', 'data-status'), 'appealed');
        assert.match(await page.textContent('#status'), /Đang khiếu nại/);
        assert.ok(await page.isVisible('#await-review'));
        assert.equal(await page.locator('form#decision').count(), 0, 'no decision form for a moderator on appeal');
        assert.equal(await page.locator('form#appeal-decision').count(), 0);
        await fits(page, width);
      });
      await asRole('reviewer', width, async (page) => {
        await page.goto(`${server.base}/console/cases/${cases[0]}`);
        assert.equal(await page.locator('form#decision').count(), 0);
        // Without a statement of reasons: refused, in Vietnamese, and the appeal stays.
        await navigated(page, () => page.click('#uphold'));
        assert.match(await page.textContent('#error'), /Lý do/);
        assert.equal(await page.getAttribute('#status', 'data-status'), 'appealed');
        await page.fill('#appeal-statement', 'Giữ nguyên: bài viết phân biệt vùng miền.');
        await navigated(page, () => page.click('#uphold'));
        assert.equal(await page.getAttribute('#status', 'data-status'), 'decided');
        const timeline = await page.$$eval('#timeline li', (lis) => lis.map((li) => li.textContent));
        assert.ok(timeline.some((l) => /Quyết định phúc thẩm · Người phúc thẩm #\d+: US-1 .*Gỡ bỏ nội dung/.test(l)), JSON.stringify(timeline));
        assert.ok(timeline.every((l) => /^\d{2}\/\d{2}\/\d{4} \d{2}:\d{2} · /.test(l)), 'every line has its time');
        assert.ok(!timeline.some((l) => /citizen:|moderator:|reviewer:|admin:/.test(l)), 'names, not raw ids');
        await fits(page, width);
        await page.screenshot({ path: path.join(shots, `appeal-upheld-${width}.png`), fullPage: true });

        await page.goto(`${server.base}/console/cases/${cases[1]}`);
        await page.fill('#appeal-statement', 'Hủy: bài viết không vi phạm.');
        await navigated(page, () => page.click('#overturn'));
        assert.equal(await page.getAttribute('#status', 'data-status'), 'decided');
      });
      const upheld = await api(server, 'GET', `/v1/cases/${cases[0]}`, { token: server.tokens.admin });
      assert.deepEqual(upheld.json.decisions.map((d) => [d.action, d.on_appeal]), [['remove', false], ['remove', true]]);
      const overturned = await api(server, 'GET', `/v1/cases/${cases[1]}`, { token: server.tokens.admin });
      assert.deepEqual(overturned.json.decisions.map((d) => [d.action, d.on_appeal]), [['remove', false], ['none', true]]);
      assert.equal(overturned.json.appeals[0].status, 'decided');
    });

    test(`an overdue takedown comes first, counts down and is marked done at ${width} px`, { timeout: STEP_TIMEOUT }, async () => {
      const marker = `td${width}x`;
      const caseId = await queued(`${marker}-0`, marker);
      const filed = await api(server, 'POST', '/v1/takedowns', {
        token: server.tokens.admin,
        body: { post_id: `${marker}-0`, agency_id: 'so-tt-hn', legal_basis: 'Nghị định 147/2024/NĐ-CP', reason: 'Phân biệt vùng miền', received_at: Date.now() - 25 * 3600 * 1000 },
      });
      assert.equal(filed.status, 201, filed.text);
      const takedownId = filed.json.takedown.id;
      assert.equal(filed.json.takedown.case_id, caseId);
      await asRole('moderator', width, async (page) => {
        await page.goto(`${server.base}/console/cases`);
        const rows = await page.$$eval('#queue tr.case', (trs) =>
          trs.map((tr) => ({ id: Number(tr.dataset.id), text: tr.textContent, overdue: tr.classList.contains('overdue') })),
        );
        // Overdue takedowns (the demo has its own) come before every other case.
        const firstOnTime = rows.findIndex((r) => !r.overdue);
        assert.ok(firstOnTime > 0, JSON.stringify(rows.map((r) => [r.id, r.overdue])));
        assert.ok(rows.slice(firstOnTime).every((r) => !r.overdue), 'overdue takedowns come first');
        const mine = rows.findIndex((r) => r.id === caseId);
        assert.ok(mine >= 0 && mine < firstOnTime, `case ${caseId} is among the overdue ones on top`);
        assert.match(rows[mine].text, /QUÁ HẠN/, 'said in words, not only colour');
        await fits(page, width);
        await page.screenshot({ path: path.join(shots, `queue-overdue-${width}.png`), fullPage: true });

        await page.goto(`${server.base}/console/cases/${caseId}`);
        assert.match(await page.textContent(`#countdown-${takedownId}`), /^Quá hạn 1 giờ \d+ phút$/);
        await page.fill(`#takedown-statement-${takedownId}`, 'Gỡ theo yêu cầu của Sở Thông tin và Truyền thông.');
        await navigated(page, () => page.click(`#takedown-done-${takedownId}`));
        assert.equal(new URL(page.url()).pathname, `/console/cases/${caseId}`);
        assert.match(await page.textContent(`#takedown-${takedownId} .takedown-status`), /Đã gỡ xong/);
        assert.equal(await page.locator(`#takedown-done-${takedownId}`).count(), 0);
        assert.equal(await page.getAttribute('#status', 'data-status'), 'decided');
        await fits(page, width);
        await page.screenshot({ path: path.join(shots, `takedown-done-${width}.png`), fullPage: true });
      });
      const list = await api(server, 'GET', '/v1/takedowns', { token: server.tokens.admin });
      const t = list.json.takedowns.find((x) => x.id === takedownId);
      assert.equal(t.status, 'done');
      const c = await api(server, 'GET', `/v1/cases/${caseId}`, { token: server.tokens.admin });
      assert.equal(c.json.decisions.at(-1).action, 'remove');
    });
  }

  test('the audit page verifies the log and names who acted', { timeout: STEP_TIMEOUT }, async () => {
    await asRole('reviewer', 390, async (page) => {
      await page.goto(`${server.base}/console/audit`);
      assert.ok(Number(await page.textContent('#head-seq')) > 0);
      const who = await page.$$eval('#events tbody tr td:nth-child(3)', (tds) => tds.map((td) => td.textContent));
      assert.ok(who.length > 0 && !who.some((w) => /^(moderator|reviewer|admin):\d+$/.test(w)), JSON.stringify(who));
      const subjects = await page.$$eval('#events tbody tr td:nth-child(5)', (tds) => tds.map((td) => td.textContent));
      assert.ok(!subjects.some((s) => /^(case|takedown|report):\d+$/.test(s)), JSON.stringify(subjects));
      await navigated(page, () => page.click('#verify'));
      assert.match(await page.textContent('#verification'), /Nhật ký toàn vẹn/);
      await fits(page, 390);
    });
  });
});
