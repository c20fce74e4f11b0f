// End-to-end tests of the web console (issue 3, item 6): the real `quytac serve --demo` binary on
// a temporary SQLite database, driven by Debian's headless Chromium through playwright-core.
//
// Environment: see harness.mjs.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startServer, stopServer, api, launchChromium, artifactsDir, STEP_TIMEOUT } from './harness.mjs';

const SLUR_POST = 'Bọn bắc kỳ toàn lũ lừa đảo, gọi ngay 0912 345 678 mà xem.';
const CLEAN_POST = 'Hôm nay trời đẹp, cả nhà đi Hà Nội ăn phở <b>ngon</b> & rẻ.';

// ---- the tests ---------------------------------------------------------------------------------

describe('quytac web console in headless Chromium', () => {
  let tmp;
  let server;
  let browser;
  let shots;

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'quytac-e2e-'));
    // Screenshots outlive the run (the server's directory does not), for people and CI to look at.
    shots = await artifactsDir();
    server = await startServer(tmp);
    // Playwright gives each launch() a fresh temporary profile (--user-data-dir) and removes it.
    browser = await launchChromium();
  });

  // Runs even when before() or a test failed: no server or browser is left behind.
  after(async () => {
    await browser?.close().catch(() => {});
    if (server) await stopServer(server);
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  /** A fresh browser context (no cookies), closed after `fn`. */
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
      await fn(page, context);
      assert.deepEqual(errors, [], 'no JavaScript errors on the pages');
    } finally {
      await context.close();
    }
  }

  /** Clicks a submit button and waits for the page it leads to (after any redirect). */
  async function submit(page, selector) {
    await Promise.all([
      page.waitForEvent('framenavigated', (f) => f === page.mainFrame()),
      page.click(selector),
    ]);
    await page.waitForLoadState('load');
  }

  /** The post as shown, without the numbers that point each mark to its explanation. */
  function postText(page) {
    return page.$eval('#highlighted', (e) => [...e.childNodes].filter((n) => n.nodeName !== 'SUP').map((n) => n.textContent).join(''));
  }

  async function check(page, text, role) {
    await page.goto(`${server.base}/`);
    await page.fill('#text', text);
    if (role) await page.selectOption('#role', role);
    await submit(page, '#check');
    assert.equal(page.url(), `${server.base}/`);
  }

  test('public checker highlights a regional slur and a phone number with rule and message', { timeout: STEP_TIMEOUT }, async () => {
    // What the engine says about the same text, to compare the page with.
    const expected = await api(server, 'POST', '/v1/check', { body: { id: 'x', text: SLUR_POST } });
    assert.equal(expected.status, 200, expected.text);
    const us1 = expected.json.findings.find((f) => f.rule === 'US-1');
    assert.ok(us1, `the engine finds US-1 in the slur post: ${expected.text}`);

    await withPage(async (page) => {
      await check(page, SLUR_POST);
      assert.equal(await page.getAttribute('#verdict', 'data-verdict'), 'violation');
      // The pasted text stays in the form.
      assert.equal(await page.inputValue('#text'), SLUR_POST);
      // The highlighted copy is the whole text, with nothing lost or doubled.
      assert.equal(await postText(page), SLUR_POST);

      const marks = await page.$$eval('#highlighted mark', (ms) =>
        ms.map((m) => ({ text: m.textContent, title: m.getAttribute('title') })),
      );
      const slur = marks.find((m) => m.text.toLowerCase().includes('bắc kỳ'));
      assert.ok(slur, `"bắc kỳ" is highlighted: ${JSON.stringify(marks)}`);
      assert.equal(slur.title, `US-1 · ${us1.message_vi}`);
      assert.match(slur.title, /phân biệt vùng miền/);
      const phone = marks.find((m) => m.text === '0912 345 678');
      assert.ok(phone, `the phone number is highlighted on its own: ${JSON.stringify(marks)}`);
      assert.match(phone.title, /^US-\d+ · /);

      // The findings table: one row per finding, in the engine's order, with rule and message.
      const rows = await page.$$eval('#findings tr.finding', (trs) =>
        trs.map((tr) => [...tr.cells].map((td) => td.innerText.trim())),
      );
      // Columns: number (the mark's note), rule, category, severity, words, explanation.
      assert.deepEqual(
        rows.map((r) => r[1]),
        expected.json.findings.map((f) => f.rule),
      );
      const us1Row = rows.find((r) => r[1] === 'US-1');
      assert.equal(us1Row[2], 'Phân biệt vùng miền');
      assert.ok(us1Row[5].includes(us1.message_vi), us1Row[5]);
      assert.ok(rows.some((r) => r[2].startsWith('Dữ liệu cá nhân')), `a personal-data finding: ${JSON.stringify(rows)}`);
      assert.equal(await page.locator('#no-findings').count(), 0);

      // The same post by a civil servant breaches the code of conduct, CS-5.
      await check(page, SLUR_POST, 'civil_servant');
      assert.equal(await page.inputValue('#role'), 'civil_servant');
      const csRules = await page.$$eval('#findings td.rule', (tds) => tds.map((td) => td.textContent));
      assert.ok(csRules.includes('CS-5'), `CS-5 for a civil servant: ${csRules}`);
      const csTitles = await page.$$eval('#highlighted mark', (ms) => ms.map((m) => m.title));
      assert.ok(csTitles.some((t) => t.startsWith('CS-5 · ')), JSON.stringify(csTitles));
    });
  });

  test('public checker shows no findings for a clean post and escapes markup', { timeout: STEP_TIMEOUT }, async () => {
    await withPage(async (page) => {
      await check(page, CLEAN_POST);
      assert.equal(await page.getAttribute('#verdict', 'data-verdict'), 'pass');
      assert.ok(await page.isVisible('#no-findings'));
      assert.equal(await page.locator('#findings').count(), 0);
      assert.equal(await page.locator('#highlighted mark').count(), 0);
      // The <b> the user typed is shown as text, not rendered as an element.
      assert.equal(await postText(page), CLEAN_POST);
      assert.equal(await page.locator('#highlighted b').count(), 0);
    });
  });

  test('a moderator signs in, opens a case from the queue and records a decision', { timeout: STEP_TIMEOUT }, async () => {
    const token = server.tokens.moderator;
    await withPage(async (page, context) => {
      // The console needs a sign-in and comes back to the page asked for.
      await page.goto(`${server.base}/console/cases`);
      assert.equal(new URL(page.url()).pathname, '/login');
      assert.equal(await page.inputValue('input[name=next]'), '/console/cases');

      // A wrong token is refused and sets no cookie.
      await page.fill('#token', 'not-a-real-token');
      const refused = page.waitForResponse((r) => r.url() === `${server.base}/login` && r.request().method() === 'POST');
      await page.click('#login');
      assert.equal((await refused).status(), 401);
      await page.waitForSelector('p.error');
      assert.match(await page.textContent('p.error'), /Mã truy cập không hợp lệ/);
      assert.equal((await context.cookies()).length, 0);

      await page.fill('#token', token);
      await Promise.all([page.waitForURL(`${server.base}/console/cases`), page.click('#login')]);
      const cookie = (await context.cookies()).find((c) => c.name === 'quytac_session');
      assert.ok(cookie, 'the sign-in sets the session cookie');
      assert.notEqual(cookie.value, token, 'the cookie holds a session id, not the token');
      assert.match(cookie.value, /^[0-9a-f]{64}$/);
      assert.equal(cookie.httpOnly, true);
      assert.equal(cookie.sameSite, 'Strict');
      assert.ok(cookie.expires > Date.now() / 1000, 'the session cookie expires');
      assert.equal(await page.evaluate(() => document.cookie), '', 'scripts cannot read the session');
      // The console's forms carry the session's CSRF token.
      assert.match(await page.inputValue('form[action="/logout"] input[name=csrf]'), /^[0-9a-f]{64}$/);
      assert.match(await page.textContent('h1'), /Hàng đợi kiểm duyệt \(Đang chờ xử lý\)/);
      const actor = (await page.textContent('#signed-in strong'))?.match(/^moderator:\d+$/)?.[0];
      assert.ok(actor, 'the menu names the signed-in moderator');

      // The queue lists exactly the open cases the API lists.
      const open = await api(server, 'GET', '/v1/cases?status=open', { token });
      assert.equal(open.status, 200, open.text);
      const ids = await page.$$eval('#queue tr.case td:first-child a', (as) => as.map((a) => Number(a.textContent)));
      assert.ok(ids.length >= 2, `the demo leaves open cases: ${ids}`);
      assert.deepEqual([...ids].sort((a, b) => a - b), open.json.cases.map((c) => c.id).sort((a, b) => a - b));

      // Open the first open case that has automated findings.
      const theCase = open.json.cases.find((c) => c.result.findings?.length);
      assert.ok(theCase, 'an open case with findings');
      const id = theCase.id;
      const finding = theCase.result.findings[0];
      await Promise.all([
        page.waitForURL(`${server.base}/console/cases/${id}`),
        page.click(`#queue a[href="/console/cases/${id}"]`),
      ]);
      assert.match(await page.textContent('h1'), new RegExp(`Hồ sơ #${id}`));
      assert.equal(await page.getAttribute('#status', 'data-status'), 'open');
      assert.equal(await page.textContent('.post'), theCase.text);
      const marked = await page.$$eval('.post mark', (ms) => ms.map((m) => m.title));
      assert.ok(marked.includes(`${finding.rule} · ${finding.message_vi}`), JSON.stringify(marked));
      assert.ok(await page.isVisible('form#decision'));
      // The form suggests the first finding's rule and category.
      assert.equal(await page.inputValue('#decision select[name=rule]'), finding.rule);
      assert.equal(await page.inputValue('#decision select[name=category]'), finding.category);

      // Without a statement of reasons the decision is refused and the case stays open.
      await page.selectOption('#decision select[name=action]', 'label');
      await submit(page, '#decide');
      assert.match(await page.textContent('#error'), /Lý do/);
      assert.equal(await page.getAttribute('#status', 'data-status'), 'open');

      // A full decision.
      const statement = `E2E ${Date.now()}: bài viết có dấu hiệu vi phạm quy tắc ${finding.rule} nên được gắn nhãn cảnh báo.`;
      await page.selectOption('#decision select[name=rule]', finding.rule);
      await page.selectOption('#decision select[name=category]', finding.category);
      await page.selectOption('#decision select[name=action]', 'label');
      await page.fill('#statement', statement);
      await submit(page, '#decide');
      assert.equal(page.url(), `${server.base}/console/cases/${id}`);

      assert.equal(await page.getAttribute('#status', 'data-status'), 'decided');
      assert.equal(await page.locator('form#decision').count(), 0, 'a decided case has no decision form');
      const history = await page.$$eval('#timeline li', (lis) => lis.map((li) => li.textContent));
      const line = history.find((h) => h.includes(statement));
      assert.ok(line, `the decision is in the history: ${JSON.stringify(history)}`);
      assert.match(line, new RegExp(`^\\d{2}/\\d{2}/\\d{4} \\d{2}:\\d{2} · Quyết định · Kiểm duyệt viên #\\d+: ${finding.rule} / .+ → Gắn nhãn cảnh báo: `));

      await page.screenshot({ path: path.join(shots, 'case.png'), fullPage: true });

      // The API agrees.
      const shown = await api(server, 'GET', `/v1/cases/${id}`, { token });
      assert.equal(shown.status, 200, shown.text);
      assert.equal(shown.json.status, 'decided');
      const decision = shown.json.decisions.at(-1);
      assert.equal(decision.rule_id, finding.rule);
      assert.equal(decision.category, finding.category);
      assert.equal(decision.automated_detection, true, 'the engine found this category');
      assert.equal(decision.action, 'label');
      assert.equal(decision.statement, statement);
      assert.equal(decision.moderator, actor);
      assert.equal(decision.automated_decision, false);

      // The queue moves it from open to decided.
      await page.goto(`${server.base}/console/cases?status=open`);
      assert.equal(await page.locator(`a[href="/console/cases/${id}"]`).count(), 0);
      await page.goto(`${server.base}/console/cases?status=decided`);
      assert.equal(await page.locator(`#queue a[href="/console/cases/${id}"]`).count(), 1);
      await page.screenshot({ path: path.join(shots, 'queue-decided.png'), fullPage: true });

      // Signing out ends the session on the server: the old cookie, put back, opens nothing.
      await submit(page, 'form[action="/logout"] button');
      assert.equal(page.url(), `${server.base}/`);
      await page.goto(`${server.base}/console/cases`);
      assert.equal(new URL(page.url()).pathname, '/login');
      await context.addCookies([{ name: 'quytac_session', value: cookie.value, url: server.base }]);
      await page.goto(`${server.base}/console/cases`);
      assert.equal(new URL(page.url()).pathname, '/login', 'a signed-out session stays ended');
    });
  });

  test('a citizen token is refused at sign-in and a token in a cookie opens nothing', { timeout: STEP_TIMEOUT }, async () => {
    await withPage(async (page, context) => {
      // Asking for a filtered queue keeps the query through the sign-in form.
      await page.goto(`${server.base}/console/cases?status=decided`);
      assert.equal(new URL(page.url()).pathname, '/login');
      assert.equal(await page.inputValue('input[name=next]'), '/console/cases?status=decided');

      // A valid citizen token is refused on the form, with a message, and sets no cookie.
      await page.fill('#token', server.tokens.citizen);
      const refused = page.waitForResponse((r) => r.url() === `${server.base}/login` && r.request().method() === 'POST');
      await page.click('#login');
      assert.equal((await refused).status(), 403);
      await page.waitForSelector('p.error');
      const message = await page.textContent('p.error');
      assert.match(message, /không được đăng nhập vào bảng điều khiển/);
      assert.equal(new URL(page.url()).pathname, '/login');
      assert.equal(await page.inputValue('input[name=next]'), '/console/cases?status=decided');
      assert.equal((await context.cookies()).length, 0, 'no cookie for a refused role');

      // A token put in a cookie by hand (as older versions kept it) is no session: the
      // console sends the browser to sign in, and shows no form.
      for (const name of ['quytac_token', 'quytac_session']) {
        await context.addCookies([{ name, value: server.tokens.citizen, url: server.base }]);
        await page.goto(`${server.base}/console/cases/1`);
        assert.equal(new URL(page.url()).pathname, '/login', name);
        assert.equal(await page.locator('form#decision').count(), 0);
        await context.clearCookies();
      }

      // A moderator signing in from here lands on the filtered queue asked for.
      await context.clearCookies();
      await page.goto(`${server.base}/console/cases?status=decided`);
      await page.fill('#token', server.tokens.moderator);
      await Promise.all([page.waitForURL(`${server.base}/console/cases?status=decided`), page.click('#login')]);
      assert.match(await page.textContent('h1'), /Hàng đợi kiểm duyệt \(Đã quyết định\)/);
    });
  });

  test('the transparency page charts decisions in inline SVG and counts a new one', { timeout: STEP_TIMEOUT }, async () => {
    const token = server.tokens.admin;
    await withPage(async (page) => {
      const read = async () => {
        await page.goto(`${server.base}/transparency`);
        const total = Number(await page.textContent('#total'));
        const byRule = Object.fromEntries(
          await page.$$eval('#by-rule tr', (trs) => trs.map((tr) => [tr.cells[0].textContent, Number(tr.cells[1].textContent)])),
        );
        const chart = await page.$eval('#chart', (div) => {
          const svg = div.querySelector('svg');
          return {
            isSvg: svg instanceof SVGSVGElement,
            box: svg && svg.getBoundingClientRect().toJSON(),
            bars: [...div.querySelectorAll('svg rect.bar')].map((r) => ({
              height: r.getBBox().height,
              fill: r.getAttribute('fill'),
              title: r.querySelector('title')?.textContent ?? '',
            })),
          };
        });
        return { total, byRule, chart };
      };

      const before = await read();

      // Decide another open case through the API, with a rule of its own findings.
      const open = await api(server, 'GET', '/v1/cases?status=open', { token });
      assert.equal(open.status, 200, open.text);
      const c = open.json.cases.find((x) => x.result.findings?.length) ?? open.json.cases[0];
      assert.ok(c, 'an open case is left to decide');
      const f = c.result.findings?.[0] ?? { rule: 'US-2', category: 'offensive' };
      const decided = await api(server, 'POST', `/v1/cases/${c.id}/decision`, {
        token,
        body: { rule: f.rule, category: f.category, action: 'hide', statement: 'E2E: ẩn bài viết.' },
      });
      assert.equal(decided.status, 201, decided.text);

      const now = await read();
      await page.screenshot({ path: path.join(shots, 'transparency.png'), fullPage: true });
      assert.equal(now.total, before.total + 1);
      assert.equal(now.byRule[f.rule], (before.byRule[f.rule] ?? 0) + 1);

      // The chart is a real SVG element with a bar per rule and week, sized by its count.
      assert.ok(now.chart.isSvg, 'the chart is an inline <svg>');
      assert.ok(now.chart.box.width > 100 && now.chart.box.height > 100, JSON.stringify(now.chart.box));
      assert.ok(now.chart.bars.length >= 1, 'the chart has bars');
      let charted = 0;
      const perRule = {};
      for (const bar of now.chart.bars) {
        assert.ok(bar.height > 0, `bar ${bar.title} has a height`);
        assert.match(bar.fill, /^#[0-9a-f]{6}$/);
        const m = bar.title.match(/^\d{4}-\d{2}-\d{2} · (\S+): (\d+)$/);
        assert.ok(m, `bar title "${bar.title}" reads "week · rule: count"`);
        perRule[m[1]] = (perRule[m[1]] ?? 0) + Number(m[2]);
        charted += Number(m[2]);
      }
      assert.equal(charted, now.total, 'the bars add up to the number of decisions');
      assert.deepEqual(perRule, now.byRule, 'the bars per rule match the table');
    });
  });

  test('a screenshot of the checker with findings', { timeout: STEP_TIMEOUT }, async (t) => {
    const file = path.join(shots, 'checker.png');
    await withPage(async (page) => {
      await check(page, SLUR_POST);
      assert.ok((await page.locator('#highlighted mark').count()) >= 2);
      // The highlight style from the page's CSS is applied.
      const bg = await page.$eval('#highlighted mark', (m) => getComputedStyle(m).backgroundColor);
      assert.equal(bg, 'rgb(255, 216, 211)');
      await page.screenshot({ path: file, fullPage: true });
    });
    const png = await readFile(file);
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG file');
    assert.equal(png.readUInt32BE(16), 1100, 'as wide as the viewport');
    assert.ok(png.length > 10_000, `a screenshot with content (${png.length} bytes)`);
    t.diagnostic(`screenshot: ${file}`);
  });
});
