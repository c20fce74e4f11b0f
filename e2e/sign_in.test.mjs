// Staff sign-in in headless Chromium (issue 14, item 2): the demo moderator signs in with a
// username and a password at 1280 px and on a 390 px phone, the menu names her on every page,
// and "sign out everywhere" in one browser ends the other browser's session.
//
// Environment: see harness.mjs.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startServer, stopServer, launchChromium, artifactsDir, STEP_TIMEOUT } from './harness.mjs';

describe('staff sign-in in headless Chromium', () => {
  let tmp;
  let server;
  let browser;
  let shots;

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'quytac-e2e-sign-in-'));
    shots = await artifactsDir();
    server = await startServer(tmp);
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close().catch(() => {});
    if (server) await stopServer(server);
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  async function context(width) {
    const ctx = await browser.newContext({ locale: 'vi-VN', viewport: { width, height: 900 } });
    ctx.setDefaultTimeout(15_000);
    const page = await ctx.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) errors.push(m.text());
    });
    return { ctx, page, errors };
  }

  async function signIn(page, { username, password }) {
    await page.goto(`${server.base}/console/cases`);
    assert.equal(new URL(page.url()).pathname, '/login');
    await page.fill('#username', username);
    await page.fill('#password', password);
    await Promise.all([page.waitForURL(`${server.base}/console/cases`), page.click('#sign-in-password')]);
  }

  test('the demo users were printed with their passwords', () => {
    for (const role of ['admin', 'moderator', 'reviewer']) {
      assert.match(server.users[role]?.password ?? '', /^\S{12,}$/, `${role}'s password`);
    }
  });

  test('a wrong password is refused in Vietnamese and sets no cookie', { timeout: STEP_TIMEOUT }, async () => {
    const { ctx, page } = await context(1280);
    try {
      await page.goto(`${server.base}/login`);
      await page.fill('#username', server.users.reviewer.username);
      await page.fill('#password', 'not the password at all');
      await Promise.all([page.waitForLoadState('load'), page.click('#sign-in-password')]);
      await page.waitForSelector('p.error');
      assert.equal(await page.textContent('p.error'), 'Sai tên đăng nhập hoặc mật khẩu.');
      assert.equal((await ctx.cookies()).find((c) => c.name === 'quytac_session'), undefined);
    } finally {
      await ctx.close();
    }
  });

  for (const width of [1280, 390]) {
    test(`sign in with a password at ${width} px; sign out everywhere ends the other browser's session`, { timeout: STEP_TIMEOUT }, async () => {
      const desk = await context(1280);
      const phone = await context(width);
      try {
        const moderator = server.users.moderator;
        await signIn(desk.page, moderator);
        await signIn(phone.page, moderator);
        // The menu names the person, on the console and on a public page.
        for (const path of ['/console/cases', '/']) {
          await phone.page.goto(`${server.base}${path}`);
          assert.match(await phone.page.textContent('#signed-in'), /Nguyễn Thị Lan/, path);
        }
        // No horizontal scroll on the sign-in and account pages.
        await phone.page.click('#account');
        await phone.page.waitForURL(`${server.base}/console/account`);
        assert.match(await phone.page.textContent('#account-audit-name'), /moderator:lan/);
        assert.equal(await phone.page.locator('#sessions tbody tr').count(), 2);
        const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 0, `the account page fits ${width} px (overflow ${overflow})`);
        await phone.page.screenshot({ path: path.join(shots, `sign-in-account-${width}.png`), fullPage: true });
        // Sign out everywhere from the phone.
        await Promise.all([phone.page.waitForURL(/\/login/), phone.page.click('#sign-out-everywhere')]);
        // The desk's session has ended too: the console sends it to sign in.
        await desk.page.goto(`${server.base}/console/cases`);
        assert.equal(new URL(desk.page.url()).pathname, '/login', 'the other session ended');
        assert.equal(await desk.page.locator('#signed-in').count(), 0);
        assert.deepEqual([...desk.errors, ...phone.errors], [], 'no JavaScript or CSP errors');
      } finally {
        await desk.ctx.close();
        await phone.ctx.close();
      }
    });
  }
});
