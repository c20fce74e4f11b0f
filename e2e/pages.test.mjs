// Every page, walked (issue 14, items 4, 5 and 8): starting from `/` — anonymously, then signed
// in as the demo's admin so that the console's pages are reached too — the test follows every
// link of the site, adds pages it cannot reach by a link (error pages, a checked post, a search),
// and at 360 px (the smallest phone the issue names), 390 px and 1280 px asserts on each:
//   - the document is no wider than the viewport (no horizontal scroll);
//   - axe-core (WCAG 2.2 A/AA rules) reports no serious or critical violation;
//   - a Vietnamese page shows no raw code of the workflow (`civil_servant`, `open`, `hide`…)
//     and no English error (`Cannot parse`, `must have`…).
// Pages added later by other parts of the site are crawled too, as soon as a link leads there.
//
// Environment: see harness.mjs. E2E_PAGES_REPORT=FILE writes what was walked as JSON.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import axe from 'axe-core';
import { startServer, stopServer, api, launchChromium } from './harness.mjs';

const WIDTHS = [360, 390, 1280];

// Codes of the workflow that must never reach a person as they are: case and inquiry statuses,
// verdicts, roles, categories, actions, sources, takedown figures.
const RAW_CODES = [
  'open', 'decided', 'appealed', 'answered', 'reopened', 'escalated', 'overdue',
  'pass', 'review', 'violation', 'severity', 'info',
  'citizen', 'organization', 'civil_servant', 'agency', 'provider',
  'admin', 'moderator', 'reviewer', 'agency_officer',
  'offensive', 'hate', 'violence', 'clean', 'personal_data', 'regional_discrimination',
  'gender_discrimination', 'religious_discrimination', 'confidential', 'missing_disclaimer',
  'unverified_claim', 'abuse_of_office', 'endorses_harmful', 'real_name', 'real_photo',
  'workplace', 'unverified_page', 'responsible_person', 'portal_inconsistency', 'response_overdue',
  'none', 'label', 'hide', 'remove', 'restrict', 'suspend', 'no_action', 'upheld', 'overturned',
  'automated', 'report', 'takedown', 'pending', 'done',
  'received', 'completed_within_24h', 'completed_late', 'open_overdue',
  'valid', 'revoked', 'expired', 'stale', 'display_name_changed', 'photo_changed',
  'support', 'oppose', 'neutral',
];

// English that must not be a Vietnamese page's message.
const ENGLISH = [
  'must have', 'cannot parse', 'failed to deserialize', 'invalid', 'no such', 'not found',
  'is required', 'missing field', 'unknown variant', 'an error occurred', 'internal error',
  'try again', 'no cases', 'no findings', 'sign in', 'signed in as', 'transparency', 'check a post',
];

const wordRe = (w) => new RegExp(`(?<![\\p{L}\\p{N}_@./-])${w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\p{L}\\p{N}_])`, 'iu');
const RAW_RES = RAW_CODES.map((c) => [c, wordRe(c)]);
const ENGLISH_RES = ENGLISH.map((c) => [c, wordRe(c)]);

/** Where a crawler may go: pages of this site for people (no API, files, sign-out, switch). */
function walkable(url, base) {
  if (url.origin !== base) return false;
  const p = url.pathname;
  return !(
    p.startsWith('/v1') || p.startsWith('/static/') || p.startsWith('/.well-known/') ||
    p.startsWith('/lang/') || p === '/logout' || p.endsWith('.json') || p === '/healthz' ||
    p === '/metrics' || p.endsWith('.csv')
  );
}

/** Pages of one shape (`/console/cases/7` and `/console/cases/8`) are walked a few times only. */
const shapeOf = (u) => u.pathname.replace(/\d+/g, 'N') + (u.search ? '?' : '');
const MAX_PER_SHAPE = 3;
const MAX_PAGES = 80;

describe('every page: phone width, accessibility, Vietnamese throughout', () => {
  let tmp;
  let server;
  let browser;
  const walked = [];

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'quytac-e2e-pages-'));
    server = await startServer(tmp);
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close().catch(() => {});
    if (server) await stopServer(server);
    if (tmp) await rm(tmp, { recursive: true, force: true });
    if (process.env.E2E_PAGES_REPORT) {
      await writeFile(process.env.E2E_PAGES_REPORT, JSON.stringify(walked, null, 2));
    }
  });

  async function newContext(width, locale = 'vi-VN') {
    const context = await browser.newContext({ locale, viewport: { width, height: 900 } });
    context.setDefaultTimeout(20_000);
    return context;
  }

  /** Signs `context` in as the demo's admin through the sign-in form. */
  async function signInAsAdmin(context) {
    const page = await context.newPage();
    await page.goto(`${server.base}/login?next=/console/cases`);
    await page.fill('#token', server.tokens.admin);
    await Promise.all([page.waitForURL(`${server.base}/console/cases`), page.click('#login')]);
    await page.close();
  }

  /** What is wrong with the page open in `page`: a list of sentences, empty when nothing. */
  async function problems(page, { language }) {
    const found = [];
    const { scrollWidth, innerWidth } = await page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      innerWidth: window.innerWidth,
    }));
    if (scrollWidth > innerWidth) {
      const wide = await page.evaluate(() => [...document.querySelectorAll('body *')]
        .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
        .slice(0, 3)
        .map((e) => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}${e.className && typeof e.className === 'string' ? '.' + e.className.split(' ')[0] : ''}`));
      found.push(`${scrollWidth} px wide in a ${innerWidth} px viewport (${wide.join(', ')})`);
    }
    // Charts scale (a viewBox, no fixed width) and tell series apart beyond colour.
    const charts = await page.evaluate(() => [...document.querySelectorAll('svg')]
      .filter((svg) => svg.querySelector('rect.bar'))
      .map((svg) => ({
        viewBox: svg.getAttribute('viewBox'),
        width: svg.getAttribute('width'),
        colours: new Set([...svg.querySelectorAll('rect.bar')].map((r) => r.getAttribute('fill'))).size,
        textures: new Set([...svg.querySelectorAll('rect.hatch')].map((r) => r.getAttribute('fill'))).size,
      })));
    for (const c of charts) {
      if (!c.viewBox || c.width) found.push(`a chart without a viewBox or with a fixed width (${JSON.stringify(c)})`);
      if (c.colours > 1 && c.textures < c.colours) found.push(`a chart tells ${c.colours} series apart by colour alone (${c.textures} textures)`);
    }
    // axe-core, evaluated through the DevTools protocol (the CSP forbids inline scripts).
    if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(axe.source);
    const violations = await page.evaluate(async () => {
      const r = await window.axe.run(document, {
        runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
        resultTypes: ['violations'],
      });
      return r.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.slice(0, 2).map((n) => n.target.join(' ')).join('; ')})`);
    });
    found.push(...violations);
    if (language) {
      const lang = await page.evaluate(() => document.documentElement.lang);
      if (lang !== language) found.push(`<html lang="${lang}">, not ${language}`);
      // The words a person reads, without the text they wrote or pasted, code samples, and
      // what is marked as another language (the language switch).
      const text = await page.evaluate((lang) => {
        const skip = `script, style, code, pre, textarea, .post, [lang]:not([lang="${lang}"]):not(html), #signed-in`;
        const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
        const parts = [];
        for (let n = walker.nextNode(); n; n = walker.nextNode()) {
          if (!n.parentElement.closest(skip)) parts.push(n.textContent);
        }
        // Text nodes joined by a space, so that table cells do not run into each other.
        return parts.join(' ');
      }, language);
      // In English most codes are English words too; only the snake_case ones are surely raw.
      for (const [code, re] of language === 'vi' ? RAW_RES : RAW_RES.filter(([c]) => c.includes('_'))) {
        const m = text.match(re);
        if (m) found.push(`raw code «${code}» in «${text.slice(Math.max(0, m.index - 40), m.index + 40).replace(/\s+/g, ' ')}»`);
      }
      for (const [phrase, re] of language === 'vi' ? ENGLISH_RES : []) {
        const m = text.match(re);
        if (m) found.push(`English «${phrase}» in «${text.slice(Math.max(0, m.index - 40), m.index + 40).replace(/\s+/g, ' ')}»`);
      }
    }
    return found;
  }

  /**
   * Walks the site from `starts` in `context` at `width`: opens each page, checks it, follows
   * its links. Returns { pages, failures }.
   */
  async function walk(context, width, starts, { language }) {
    const page = await context.newPage();
    const seen = new Set();
    const shapes = new Map();
    const queue = starts.map((s) => (typeof s === 'string' ? { url: s } : s));
    const failures = [];
    let pages = 0;
    while (queue.length && pages < MAX_PAGES) {
      const item = queue.shift();
      const url = new URL(item.url, server.base);
      const key = url.pathname + url.search;
      if (seen.has(key) && !item.submit) continue;
      seen.add(key);
      const shape = shapeOf(url);
      if (!item.submit) {
        const n = shapes.get(shape) ?? 0;
        if (n >= MAX_PER_SHAPE) continue;
        shapes.set(shape, n + 1);
      }
      let status;
      try {
        const response = await page.goto(url.href, { waitUntil: 'load' });
        status = response?.status();
        if (item.submit) {
          if (item.fill) await page.fill(item.fill.selector, item.fill.value);
          const [r] = await Promise.all([page.waitForNavigation(), page.click(item.submit)]);
          status = r?.status();
        }
      } catch (e) {
        failures.push(`${key} at ${width} px: could not open (${e.message.split('\n')[0]})`);
        continue;
      }
      pages += 1;
      const ctype = await page.evaluate(() => document.contentType);
      if (ctype !== 'text/html') {
        failures.push(`${key} at ${width} px: answered ${ctype} (status ${status}), not a page`);
        continue;
      }
      if (item.status && status !== item.status) {
        failures.push(`${key} at ${width} px: status ${status}, expected ${item.status}`);
      }
      const found = await problems(page, { language });
      walked.push({ page: key + (item.submit ? ` (${item.label})` : ''), width, status, problems: found });
      for (const f of found) {
        failures.push(`${key}${item.submit ? ` (${item.label})` : ''} at ${width} px: ${f}`);
      }
      const links = await page.$$eval('a[href]', (as) => as.map((a) => a.href));
      for (const href of links) {
        const u = new URL(href);
        u.hash = '';
        if (walkable(u, server.base)) queue.push({ url: u.href });
      }
    }
    await page.close();
    return { pages, failures };
  }

  // Pages no link leads to: the errors a person can meet, a checked post, a search.
  const extraPages = () => [
    { url: '/does-not-exist', status: 404 },
    { url: '/transparency?from=abc', status: 400 },
    { url: '/directory/agencies/khong-co', status: 404 },
    { url: '/directory?q=Hà Nội' },
    { url: '/directory?q=@nguyen' },
    {
      url: '/', submit: '#check', label: 'checked post', fill: {
        selector: '#text',
        value: 'Bọn bắc kỳ toàn lũ lừa đảo, gọi ngay 0912 345 678, CCCD 001090012345 mà xem.',
      },
    },
    { url: '/', submit: '#check', label: 'empty box', fill: { selector: '#text', value: '' }, status: 422 },
  ];

  /**
   * Asks the demo agency a question through its page, as a citizen does, and returns the
   * private follow link (`/inquiries/follow/{secret}`) the page sends them to: no link of the
   * site leads there, so the walk is given it.
   */
  async function askAndFollow(context) {
    const page = await context.newPage();
    try {
      await page.goto(`${server.base}/agencies/so-tt-hn/responsiveness`);
      await page.fill('#ask-text', 'Xin hỏi lịch tiếp công dân của Sở trong tháng này.');
      await Promise.all([page.waitForNavigation(), page.click('#check-text')]);
      await Promise.all([page.waitForNavigation(), page.click('#send')]);
      const url = new URL(page.url());
      assert.match(url.pathname, /^\/inquiries\/follow\/[0-9a-f]{64}$/, page.url());
      return url.pathname;
    } finally {
      await page.close();
    }
  }

  test('anonymous: every public page at 360, 390 and 1280 px', { timeout: 600_000 }, async () => {
    const failures = [];
    let total = 0;
    const followed = [];
    for (const width of WIDTHS) {
      const context = await newContext(width);
      try {
        const follow = await askAndFollow(context);
        const { pages, failures: f } = await walk(context, width, ['/', '/help', '/consultations/1', follow, ...extraPages()], { language: 'vi' });
        if (walked.some((w) => w.page === follow && w.width === width)) followed.push(width);
        total += pages;
        failures.push(...f);
      } finally {
        await context.close();
      }
    }
    assert.ok(total >= WIDTHS.length * 8, `only ${total} pages walked`);
    assert.deepEqual(followed, WIDTHS, 'the follow-link page is walked at each width');
    assert.deepEqual(failures, [], `problems on the public pages:\n${failures.join('\n')}`);
  });

  test('signed in as admin: the console and every page it links to', { timeout: 600_000 }, async () => {
    // Demo ids the console links to, looked up so that they are walked even without a link.
    const cases = await api(server, 'GET', '/v1/cases?status=open', { token: server.tokens.admin });
    assert.equal(cases.status, 200, cases.text);
    const known = [
      '/console/cases', '/console/cases?status=decided', '/console/cases?status=appealed',
      '/console/inbox', '/console/complaints',
      ...(cases.json.cases ?? []).slice(0, 2).map((c) => `/console/cases/${c.id ?? c.case?.id}`),
      { url: '/console/cases/abc', status: 404 },
      { url: '/console/cases/999999', status: 404 },
    ];
    const failures = [];
    let total = 0;
    for (const width of WIDTHS) {
      const context = await newContext(width);
      try {
        await signInAsAdmin(context);
        const { pages, failures: f } = await walk(context, width, known, { language: 'vi' });
        total += pages;
        failures.push(...f);
      } finally {
        await context.close();
      }
    }
    assert.ok(total >= WIDTHS.length * 4, `only ${total} pages walked`);
    assert.deepEqual(failures, [], `problems on the console's pages:\n${failures.join('\n')}`);
  });

  test('in English: no raw code on any public page', { timeout: 600_000 }, async () => {
    const context = await newContext(390, 'en-GB');
    try {
      const { pages, failures } = await walk(context, 390, ['/', '/help', ...extraPages()], { language: 'en' });
      assert.ok(pages >= 8, `only ${pages} pages walked`);
      assert.deepEqual(failures, [], `problems on the English pages:\n${failures.join('\n')}`);
    } finally {
      await context.close();
    }
  });

  test('in English the pages and errors are English', { timeout: 120_000 }, async () => {
    const context = await newContext(390, 'en-GB');
    try {
      const page = await context.newPage();
      for (const [url, heading] of [
        ['/', /Check a post against the code of conduct/],
        ['/help', /^Help$/],
        ['/does-not-exist', /Page not found/],
        ['/transparency?from=abc', /Transparency report/],
      ]) {
        await page.goto(server.base + url);
        assert.equal(await page.evaluate(() => document.documentElement.lang), 'en', url);
        assert.match((await page.textContent('h1')).trim(), heading, url);
        const found = await problems(page, { language: false });
        assert.deepEqual(found, [], `${url} in English`);
      }
      // The switch back to Vietnamese keeps the page.
      await page.goto(`${server.base}/help`);
      await Promise.all([page.waitForURL(`${server.base}/help`), page.click('#switch-language')]);
      assert.equal((await page.textContent('h1')).trim(), 'Trợ giúp');
    } finally {
      await context.close();
    }
  });

  test('the checker: an empty box asks for text, the page keeps nothing, CCCD is not decoded', { timeout: 120_000 }, async () => {
    const context = await newContext(390);
    try {
      const page = await context.newPage();
      await page.goto(server.base + '/');
      assert.match(await page.textContent('#keeps-nothing'), /không lưu lại gì/);
      const [empty] = await Promise.all([page.waitForNavigation(), page.click('#check')]);
      assert.equal(empty.status(), 422);
      assert.match(await page.textContent('#error'), /Ô nội dung đang trống/);
      assert.equal(await page.locator('#verdict').count(), 0, 'no verdict for an empty box');
      await page.fill('#text', 'Số CCCD của chị ấy là 001090012345 nhé');
      await Promise.all([page.waitForNavigation(), page.click('#check')]);
      const findings = await page.textContent('#findings');
      assert.match(findings, /Số căn cước công dân/);
      const body = await page.evaluate(() => document.body.innerText);
      assert.doesNotMatch(body, /1990|\bnam\b|\bmale\b|female/i, 'the sex and birth year are not decoded');
      // Each mark points to its explanation in text.
      const ref = await page.getAttribute('#highlighted sup a', 'href');
      assert.equal(ref, '#finding-1');
      assert.equal(await page.locator('#finding-1').count(), 1);
    } finally {
      await context.close();
    }
  });

  test('/v1 keeps its JSON errors', async () => {
    const r = await api(server, 'GET', '/v1/nothing');
    assert.equal(r.status, 404);
    assert.equal(r.json?.error?.code, 'not_found');
  });
});
