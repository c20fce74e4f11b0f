// What every browser test shares: the `quytac serve --demo` process, a JSON API helper and
// Debian's headless Chromium. Not a test file itself (node --test runs only `*.test.mjs`).
//
// Environment: QUYTAC_BIN (the binary; default target/debug/quytac), CHROMIUM_BIN (default
// /usr/bin/chromium), E2E_ARTIFACTS (where screenshots go; default a temporary folder).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = process.env.QUYTAC_BIN || path.join(REPO, 'target', 'debug', 'quytac');
const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
export const STEP_TIMEOUT = 60_000;

// ---- the server --------------------------------------------------------------------------------

/** Starts `quytac serve --demo` on a free port (port 0, read back from its log). */
export async function startServer(dir) {
  if (!existsSync(BIN)) {
    throw new Error(`no quytac binary at ${BIN}: run \`cargo build -p quytac\` or set QUYTAC_BIN`);
  }
  const child = spawn(
    BIN,
    [
      'serve',
      '--demo',
      '--addr', '127.0.0.1:0',
      '--db', `sqlite://${path.join(dir, 'e2e.db')}`,
      '--audit-key', path.join(dir, 'audit.key'),
    ],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RUST_LOG: 'warn' } },
  );
  // Last resort if this test process ends without running the `after` hook.
  process.once('exit', () => child.kill('SIGKILL'));
  let log = '';
  const tokens = {};
  const users = {};
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`quytac did not start within 60 s; its log:\n${log}`)),
      60_000,
    );
    const onData = (chunk) => {
      log += chunk;
      for (const m of log.matchAll(/^demo token \((\w+)\): (\S+)$/gm)) tokens[m[1]] = m[2];
      for (const m of log.matchAll(/^demo user \((\w+)\): (\S+) password: (\S+)$/gm)) {
        users[m[1]] = { username: m[2], password: m[3] };
      }
      const m = log.match(/serving on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', onData);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`quytac exited (${code ?? signal}) before serving; its log:\n${log}`));
    });
  });
  // A failed start must still leave no process behind.
  const server = { child, tokens, users, base: null, log: () => log };
  try {
    server.base = await ready;
    await waitHealthy(server.base);
  } catch (e) {
    await stopServer(server);
    throw e;
  }
  for (const role of ['admin', 'moderator', 'reviewer', 'agency_officer', 'citizen']) {
    assert.match(tokens[role] ?? '', /^\S{16,}$/, `--demo printed a ${role} token`);
  }
  return server;
}

async function waitHealthy(base) {
  const deadline = Date.now() + 30_000;
  let last;
  while (Date.now() < deadline) {
    try {
      const r = await fetch(`${base}/healthz`);
      if (r.ok) return;
      last = `HTTP ${r.status}`;
    } catch (e) {
      last = e.message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`/healthz never answered 200 (${last})`);
}

/** SIGTERM (graceful shutdown), then SIGKILL after 5 s. */
export async function stopServer(server) {
  const { child } = server;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

export async function api(server, method, urlPath, { token, body } = {}) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const r = await fetch(server.base + urlPath, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: r.status, json, text };
}

// ---- the browser -------------------------------------------------------------------------------

/** Debian's Chromium, headless, with the flags this machine needs. */
export function launchChromium() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 60_000,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-quic',
      '--disable-sync',
    ],
  });
}

/** The folder for screenshots: E2E_ARTIFACTS, else a new temporary one (it outlives the run). */
export async function artifactsDir() {
  const dir = process.env.E2E_ARTIFACTS || (await mkdtemp(path.join(os.tmpdir(), 'quytac-e2e-shots-')));
  await mkdir(dir, { recursive: true });
  return dir;
}
