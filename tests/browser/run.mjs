// kakuin's public registry pages in real Chromium (Debian's /usr/bin/chromium)
// driven by playwright-core.  Starts its own demo trust center on a free
// loopback port, walks the pages as a person would (search, result, org page,
// language switch, warnings, 404, no JavaScript) and prints one line
//   browser: N passed, N failed
// which scripts/check parses.  Exits nonzero when anything failed.
//
// Environment:
//   KAKUIN_BIN        the kakuin binary (default: build/kakuin in the repo)
//   KAKUIN_CHROMIUM   the browser (default: /usr/bin/chromium)
//   KAKUIN_SHOTS      directory for screenshots (default: a temp dir, kept)
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
// KAKUIN_BIN relative to the current directory; the default relative to the
// repository root.
const BIN = process.env.KAKUIN_BIN ? resolve(process.env.KAKUIN_BIN)
  : resolve(ROOT, 'build', 'kakuin');
const CHROMIUM = process.env.KAKUIN_CHROMIUM || '/usr/bin/chromium';
const DEADLINE_MS = 110_000;

// Demo organizations (lib/registry/demo.c).
const JIPDEC = {
  number: '1010405009403',
  name: '一般財団法人日本情報経済社会推進協会',
  nameEn: 'JIPDEC',
  kana: 'ニホンジョウホウケイザイシャカイスイシンキョウカイ',
  domains: ['jipdec.example', 'mail.jipdec.example'],
};
const KAKUIN_SHOJI = {
  number: '4011001099001',
  name: '株式会社かくいん商事',
  nameEn: 'Kakuin Trading Co., Ltd.',
  domain: 'kakuin-shoji.example',
};
const SAKURA = { number: '7011101077003', name: '株式会社さくらメール',
  nameEn: 'Sakura Mail K.K.' };      // applied
const HIKARI = { number: '8012001066004', name: '株式会社ひかり物産',
  nameEn: 'Hikari Bussan Co., Ltd.' }; // suspended
const UNKNOWN = '5010001000002';       // valid check digit, not registered

let passed = 0;
let failed = 0;
const tmp = mkdtempSync(join(tmpdir(), 'kakuin-browser-'));
const shots = process.env.KAKUIN_SHOTS || join(tmpdir(),
  'kakuin-browser-shots-' + process.pid);
mkdirSync(shots, { recursive: true });
let server = null;
let browser = null;
let serverLog = '';

function log(msg) {
  process.stdout.write(msg + '\n');
}

class Failure extends Error {}

function check(cond, what) {
  if (!cond) throw new Failure(what);
}

function checkHas(text, want, where) {
  check(text.includes(want), `${where}: expected to see ${JSON.stringify(want)}`);
}

let stopping = false;

async function step(name, fn) {
  if (stopping) return;
  try {
    await fn();
    passed++;
    log(`ok   ${name}`);
  } catch (e) {
    failed++;
    log(`FAIL ${name}: ${e instanceof Failure ? e.message : (e.stack || e)}`);
  }
}

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.unref();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

function run(args) {
  return new Promise((res, rej) => {
    const p = spawn(BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { out += d; });
    p.on('error', rej);
    p.on('close', (code) => code === 0 ? res(out) :
      rej(new Error(`kakuin ${args.join(' ')} exited ${code}: ${out}`)));
  });
}

async function waitHealthy(base) {
  const until = Date.now() + 15_000;
  let last = '';
  while (Date.now() < until) {
    if (server.exitCode !== null) {
      throw new Error(`kakuin serve exited ${server.exitCode}: ${serverLog}`);
    }
    try {
      const r = await fetch(base + '/healthz');
      if (r.status === 200) return;
      last = `status ${r.status}`;
    } catch (e) {
      last = String(e.cause?.code || e);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no answer from ${base}/healthz (${last}): ${serverLog}`);
}

function stopServer() {
  if (server === null || server.exitCode !== null) return Promise.resolve();
  return new Promise((res) => {
    const t = setTimeout(() => { server.kill('SIGKILL'); }, 5000);
    server.on('close', () => { clearTimeout(t); res(); });
    server.kill('SIGTERM');
  });
}

async function cleanup() {
  if (browser !== null) {
    await browser.close().catch(() => {});
    browser = null;
  }
  await stopServer();
  rmSync(tmp, { recursive: true, force: true });
}

async function shot(page, name) {
  await page.screenshot({ path: join(shots, name + '.png'), fullPage: true });
}

// Text of an element, trimmed, or '' when absent.
async function text(page, sel) {
  const loc = page.locator(sel);
  if (await loc.count() === 0) return '';
  return (await loc.first().innerText()).trim();
}

async function main() {
  check(existsSync(BIN), `no kakuin binary at ${BIN} (set KAKUIN_BIN)`);
  check(existsSync(CHROMIUM), `no browser at ${CHROMIUM}`);
  const data = join(tmp, 'data');
  await run(['-d', data, 'init', '--demo']);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  server = spawn(BIN, ['-d', data, 'serve', '--listen', `127.0.0.1:${port}`,
    '--access-log', ''], { stdio: ['ignore', 'ignore', 'pipe'] });
  server.stderr.on('data', (d) => { serverLog += d; });
  await waitHealthy(base);

  // playwright refuses --user-data-dir in args: it gives every launch a
  // fresh profile directory of its own under os.tmpdir().  Point that at
  // our temporary directory so that nothing outlives the run even if the
  // browser has to be killed.
  const savedTmp = process.env.TMPDIR;
  process.env.TMPDIR = tmp;
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      timeout: 30_000,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
        '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
    });
  } finally {
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
  }

  // Japanese: what a visitor in Japan sees by default.
  const ja = await browser.newContext({ locale: 'ja-JP',
    extraHTTPHeaders: { 'Accept-Language': 'ja,en;q=0.5' },
    viewport: { width: 1000, height: 800 } });
  ja.setDefaultTimeout(10_000);
  const page = await ja.newPage();
  const jsErrors = [];
  page.on('pageerror', (e) => jsErrors.push(String(e)));
  // Documents may be 404 on purpose; a stylesheet or image never should.
  page.on('response', (r) => {
    if (r.request().resourceType() !== 'document' && r.status() >= 400) {
      jsErrors.push(`${r.url()} answered ${r.status()}`);
    }
  });

  await step('home redirects to the Japanese registry with verified orgs', async () => {
    const r = await page.goto(base + '/');
    check(r.ok(), `GET / ended with ${r.status()}`);
    const u = new URL(page.url());
    check(u.pathname === '/orgs' && u.searchParams.get('lang') === 'ja',
      `/ did not lead to /orgs?lang=ja but to ${page.url()}`);
    check(await page.getAttribute('html', 'lang') === 'ja', 'html lang is not ja');
    checkHas(await page.title(), 'kakuin 法人登録簿', 'title');
    checkHas(await text(page, 'h1'), '登録されている組織', 'h1');
    const list = await text(page, '#results');
    for (const o of [JIPDEC, KAKUIN_SHOJI]) checkHas(list, o.name, 'home list');
    // The home page lists verified organizations only.
    check(!list.includes(SAKURA.name) && !list.includes(HIKARI.name),
      'home list shows an organization that is not verified');
    const css = await page.evaluate(() =>
      getComputedStyle(document.querySelector('.seal')).backgroundColor);
    check(css === 'rgb(179, 38, 30)', `stylesheet not applied (seal is ${css})`);
    await shot(page, '01-home-ja');
  });

  await step('search by katakana reading finds JIPDEC with its badge', async () => {
    await page.goto(base + '/orgs?lang=ja');
    await page.fill('#q', 'ジョウホウケイザイ');
    await Promise.all([page.waitForURL(/q=/), page.press('#q', 'Enter')]);
    const u = new URL(page.url());
    check(u.searchParams.get('q') === 'ジョウホウケイザイ' &&
      u.searchParams.get('lang') === 'ja', `search URL ${page.url()}`);
    checkHas(await text(page, 'h1'), '検索結果', 'results h1');
    const items = page.locator('#results li');
    check(await items.count() === 1, `expected 1 result, got ${await items.count()}`);
    const li = await items.first().innerText();
    checkHas(li, JIPDEC.name, 'result');
    checkHas(li, JIPDEC.number, 'result');
    checkHas(await items.first().locator('.badge.verified').innerText(), '確認済み', 'badge');
    check(await page.inputValue('#q') === 'ジョウホウケイザイ', 'query not kept in the box');
    await shot(page, '02-search-kana');
  });

  await step('search by hiragana finds the katakana reading', async () => {
    await page.goto(base + '/orgs?lang=ja');
    await page.fill('#q', 'さっぽろ');
    await Promise.all([page.waitForURL(/q=/), page.click('form.search button[type=submit]')]);
    const li = await text(page, '#results');
    checkHas(li, '札幌市', 'hiragana search');
  });

  await step('search by part of a name, number and verified domain', async () => {
    for (const [q, want] of [['かくいん', KAKUIN_SHOJI.name],
      ['minato e-contract', '合同会社みなと電子契約'],
      [JIPDEC.number, JIPDEC.name],
      [KAKUIN_SHOJI.domain, KAKUIN_SHOJI.name],
      ['mail.jipdec.example', JIPDEC.name]]) {
      await page.goto(base + '/orgs?lang=ja');
      await page.fill('#q', q);
      await Promise.all([page.waitForURL(/q=/), page.press('#q', 'Enter')]);
      const items = page.locator('#results li');
      check(await items.count() >= 1, `no result for ${q}`);
      checkHas(await items.first().innerText(), want, `search ${q}`);
    }
    // An applied organization's unproven domain must not find it.
    await page.goto(base + '/orgs?lang=ja&q=sakura-mail.example');
    check(await page.locator('#results li').count() === 0,
      'an unverified domain finds its claimant');
    checkHas(await text(page, '.empty'), '該当する組織は見つかりませんでした', 'no results');
  });

  await step('search with no match says so', async () => {
    await page.goto(base + '/orgs?lang=ja');
    await page.fill('#q', 'そんざいしないかいしゃ');
    await Promise.all([page.waitForURL(/q=/), page.press('#q', 'Enter')]);
    check(await page.locator('#results').count() === 0, 'a result list for nothing');
    checkHas(await text(page, 'p.empty'), '該当する組織は見つかりませんでした', 'empty');
  });

  await step('search is safe against markup in the query', async () => {
    await page.goto(base + '/orgs?lang=ja&q=' + encodeURIComponent('<b id=x>"&'));
    check(await page.locator('#x').count() === 0, 'query markup was rendered');
    check(await page.inputValue('#q') === '<b id=x>"&', 'query not echoed as text');
  });

  await step('result links to the Japanese org page with the facts', async () => {
    await page.goto(base + '/orgs?lang=ja');
    await page.fill('#q', 'ニホンジョウホウ');
    await Promise.all([page.waitForURL(/q=/), page.press('#q', 'Enter')]);
    await Promise.all([page.waitForURL(/\/orgs\/\d{13}/),
      page.click(`#results a[href^="/orgs/${JIPDEC.number}"]`)]);
    check(new URL(page.url()).pathname === `/orgs/${JIPDEC.number}`, `on ${page.url()}`);
    checkHas(await text(page, '#org h1'), JIPDEC.name, 'org h1');
    checkHas(await page.title(), JIPDEC.name, 'title');
    const verdict = await text(page, '#verdict');
    checkHas(verdict, '確認済み', 'verdict badge');
    checkHas(verdict, 'kakuin がこの組織の実在と、下記ドメインの管理を確認しています。', 'verdict');
    check(/\(\d{4}-\d{2}-\d{2} から\)/.test(verdict), `no "since" date in ${verdict}`);
    const facts = await text(page, 'table.facts');
    checkHas(facts, JIPDEC.number, 'facts');
    checkHas(facts, '法人番号', 'facts');
    checkHas(facts, JIPDEC.kana, 'facts');
    checkHas(facts, '東京都港区六本木一丁目９番９号', 'facts');
    checkHas(facts, '〒106-6117', 'facts');
    const doms = page.locator('#domains li');
    check(await doms.count() === 2, `expected 2 verified domains, got ${await doms.count()}`);
    const d = await text(page, '#domains');
    for (const n of JIPDEC.domains) checkHas(d, n, 'domains');
    checkHas(d, 'ウェブ · メール', 'domain uses');
    checkHas(d, '確認日', 'domains');
    checkHas(await text(page, 'h2'), '確認済みドメイン', 'domains heading');
    await shot(page, '03-org-ja');
  });

  await step('language switch shows the English org page', async () => {
    const sw = page.locator('#lang-switch');
    checkHas(await sw.innerText(), 'English', 'switch label');
    check(await sw.getAttribute('hreflang') === 'en', 'switch hreflang');
    await Promise.all([page.waitForURL(/lang=en/), sw.click()]);
    const u = new URL(page.url());
    check(u.pathname === `/orgs/${JIPDEC.number}` && u.searchParams.get('lang') === 'en',
      `switch went to ${page.url()}`);
    check(await page.getAttribute('html', 'lang') === 'en', 'html lang is not en');
    checkHas(await text(page, '#org h1'), JIPDEC.nameEn, 'English h1');
    const verdict = await text(page, '#verdict');
    checkHas(verdict, 'Verified', 'English badge');
    checkHas(verdict, 'kakuin has verified that this organization exists', 'English verdict');
    check(/\(since \d{4}-\d{2}-\d{2}\)/.test(verdict), `no "since" in ${verdict}`);
    const facts = await text(page, 'table.facts');
    checkHas(facts, 'Corporate number', 'facts');
    checkHas(facts, '1-9-9 Roppongi, Minato-ku, Tokyo', 'English address');
    checkHas(await text(page, 'h2'), 'Verified domains', 'domains heading');
    checkHas(await text(page, '#domains'), 'web · mail', 'domain uses');
    checkHas(await text(page, '#lang-switch'), '日本語', 'switch back label');
    await shot(page, '04-org-en');
    // And back again.
    await Promise.all([page.waitForURL(/lang=ja/), page.click('#lang-switch')]);
    checkHas(await text(page, '#org h1'), JIPDEC.name, 'back to Japanese');
  });

  await step('language switch on a results page keeps the query', async () => {
    await page.goto(base + '/orgs?lang=ja');
    await page.fill('#q', 'かくいん');
    await Promise.all([page.waitForURL(/q=/), page.press('#q', 'Enter')]);
    await Promise.all([page.waitForURL(/lang=en/), page.click('#lang-switch')]);
    const u = new URL(page.url());
    check(u.searchParams.get('q') === 'かくいん',
      `switching language dropped the search: now on ${page.url()}`);
    checkHas(await text(page, '#results'), KAKUIN_SHOJI.nameEn, 'English results');
  });

  await step('English search from the English page', async () => {
    await page.goto(base + '/orgs?lang=en');
    checkHas(await text(page, 'h1'), 'Registered organizations', 'English home');
    check(await page.getAttribute('#q', 'placeholder') ===
      'Name, reading, corporate number or domain', 'English placeholder');
    await page.fill('#q', 'kakuin trading');
    await Promise.all([page.waitForURL(/q=/), page.press('#q', 'Enter')]);
    check(new URL(page.url()).searchParams.get('lang') === 'en', 'search lost lang=en');
    const li = page.locator('#results li').first();
    checkHas(await li.locator('a').innerText(), KAKUIN_SHOJI.nameEn, 'English result name');
    checkHas(await li.innerText(), KAKUIN_SHOJI.name, 'Japanese name beside');
    checkHas(await li.locator('.badge.verified').innerText(), 'Verified', 'English badge');
    await Promise.all([page.waitForURL(/\/orgs\/\d{13}/), li.locator('a').click()]);
    check(new URL(page.url()).searchParams.get('lang') === 'en', 'org link lost lang=en');
    checkHas(await text(page, '#domains'), KAKUIN_SHOJI.domain, 'English org domains');
  });

  await step('suspended organization carries a warning', async () => {
    await page.goto(base + '/orgs?lang=ja&q=' + encodeURIComponent('ひかり'));
    const li = page.locator('#results li').first();
    checkHas(await li.innerText(), HIKARI.name, 'suspended result');
    checkHas(await li.locator('.badge.suspended').innerText(), '一時停止', 'suspended badge');
    await Promise.all([page.waitForURL(/\/orgs\/\d{13}/), li.locator('a').click()]);
    check(await page.locator('#org.suspended').count() === 1, 'article not marked suspended');
    const verdict = await text(page, '#verdict');
    checkHas(verdict, '一時停止', 'badge');
    checkHas(verdict, '確認は一時停止されています', 'warning');
    checkHas(verdict, '信頼しないでください', 'warning');
    check(!verdict.includes('から)'), 'a suspended org shows a "since" date');
    const border = await page.evaluate(() =>
      getComputedStyle(document.querySelector('#verdict')).borderLeftColor);
    check(border === 'rgb(179, 38, 30)', `warning not drawn in red (${border})`);
    await shot(page, '05-suspended-ja');
    await page.goto(base + `/orgs/${HIKARI.number}?lang=en`);
    const en = await text(page, '#verdict');
    checkHas(en, 'Suspended', 'English badge');
    checkHas(en, 'Verification is suspended. Do not treat this organization as verified',
      'English warning');
  });

  await step('applied organization says it is not verified yet', async () => {
    await page.goto(base + '/orgs?lang=ja');
    await page.fill('#q', SAKURA.number);
    await Promise.all([page.waitForURL(/q=/), page.press('#q', 'Enter')]);
    const li = page.locator('#results li').first();
    checkHas(await li.locator('.badge.applied').innerText(), '審査中', 'applied badge');
    await Promise.all([page.waitForURL(/\/orgs\/\d{13}/), li.locator('a').click()]);
    const verdict = await text(page, '#verdict');
    checkHas(verdict, '審査中', 'badge');
    checkHas(verdict, 'まだ確認されていません', 'warning');
    check(await page.locator('#domains li').count() === 0,
      'unproven domain shown as verified');
    checkHas(await text(page, 'p.empty'), '確認済みのドメインはありません', 'no domains');
    await shot(page, '06-applied-ja');
    await page.goto(base + `/orgs/${SAKURA.number}?lang=en`);
    const en = await text(page, '#verdict');
    checkHas(en, 'Under review', 'English badge');
    checkHas(en, 'Has applied to kakuin and is not verified yet', 'English warning');
  });

  await step('unknown and malformed corporate numbers get a 404 page', async () => {
    let r = await page.goto(base + `/orgs/${UNKNOWN}?lang=ja`);
    check(r.status() === 404, `unknown number answered ${r.status()}`);
    checkHas(await text(page, 'h1'), '見つかりません', '404 h1');
    checkHas(await text(page, 'p.error'), 'この法人番号の組織は登録されていません', '404 text');
    check(await page.locator('#q').count() === 1, '404 page has no search box');
    await shot(page, '07-notfound-ja');
    r = await page.goto(base + `/orgs/${UNKNOWN}?lang=en`);
    check(r.status() === 404, `unknown number (en) answered ${r.status()}`);
    checkHas(await text(page, 'h1'), 'Not found', 'English 404');
    r = await page.goto(base + '/orgs/1010405009404?lang=en');  // bad check digit
    check(r.status() === 404, `bad check digit answered ${r.status()}`);
    checkHas(await text(page, 'h1'), 'Not a valid corporate number', 'bad number h1');
    r = await page.goto(base + '/no-such-page');
    check(r.status() === 404, `unknown path answered ${r.status()}`);
  });

  await step('language follows Accept-Language when no lang is given', async () => {
    const en = await browser.newContext({ locale: 'en-US',
      extraHTTPHeaders: { 'Accept-Language': 'en-US,en;q=0.9' } });
    try {
      const p = await en.newPage();
      await p.goto(base + '/');
      check(new URL(p.url()).searchParams.get('lang') === 'en', `went to ${p.url()}`);
      checkHas(await text(p, 'h1'), 'Registered organizations', 'English home');
      await p.goto(base + `/orgs/${KAKUIN_SHOJI.number}`);
      checkHas(await text(p, '#org h1'), KAKUIN_SHOJI.nameEn, 'English by header');
    } finally {
      await en.close();
    }
  });

  await step('pages work with JavaScript disabled', async () => {
    const nojs = await browser.newContext({ javaScriptEnabled: false,
      locale: 'ja-JP', extraHTTPHeaders: { 'Accept-Language': 'ja' } });
    try {
      const p = await nojs.newPage();
      p.setDefaultTimeout(10_000);
      await p.goto(base + '/');
      await p.fill('#q', 'ミナト');
      await Promise.all([p.waitForURL(/q=/), p.click('form.search button[type=submit]')]);
      const li = p.locator('#results li').first();
      checkHas(await li.innerText(), '合同会社みなと電子契約', 'no-JS search');
      checkHas(await li.locator('.badge').innerText(), '確認済み', 'no-JS badge');
      await Promise.all([p.waitForURL(/\/orgs\/\d{13}/), li.locator('a').click()]);
      checkHas(await text(p, '#verdict'), '確認済み', 'no-JS org page');
      checkHas(await text(p, '#domains'), 'minato-keiyaku.example', 'no-JS domains');
      await Promise.all([p.waitForURL(/lang=en/), p.click('#lang-switch')]);
      checkHas(await text(p, '#org h1'), 'Minato E-Contract LLC', 'no-JS English');
      checkHas(await text(p, '#verdict'), 'since', 'no-JS since');
      await shot(p, '08-nojs-en');
    } finally {
      await nojs.close();
    }
  });

  await step('narrow screen: no horizontal scrolling', async () => {
    const phone = await browser.newContext({ viewport: { width: 375, height: 740 },
      locale: 'ja-JP', extraHTTPHeaders: { 'Accept-Language': 'ja' } });
    try {
      const p = await phone.newPage();
      await p.goto(base + `/orgs/${JIPDEC.number}`);
      const over = await p.evaluate(() =>
        document.documentElement.scrollWidth - document.documentElement.clientWidth);
      await shot(p, '09-narrow-org-ja');
      check(over <= 0, `page is ${over}px wider than a 375px screen`);
    } finally {
      await phone.close();
    }
  });

  await step('no script errors or broken subresources', async () => {
    check(jsErrors.length === 0, jsErrors.join('; '));
  });
}

// Interrupted (Ctrl-C, a harness timeout): still stop the server and browser.
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    if (stopping) return;
    stopping = true;
    log(`FAIL interrupted by ${sig}`);
    cleanup().finally(() => {
      log(`browser: ${passed} passed, ${failed + 1} failed`);
      process.exit(1);
    });
  });
}

let timer = null;
try {
  timer = setTimeout(() => {
    stopping = true;
    log('FAIL deadline: the browser test took longer than '
      + DEADLINE_MS / 1000 + ' s');
    failed++;
    cleanup().finally(() => {
      log(`browser: ${passed} passed, ${failed} failed`);
      process.exit(1);
    });
  }, DEADLINE_MS);
  await main();
} catch (e) {
  failed++;
  log(`FAIL setup: ${e instanceof Failure ? e.message : (e.stack || e)}`);
} finally {
  clearTimeout(timer);
  await cleanup();
}
log(`screenshots: ${shots}`);
log(`browser: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
