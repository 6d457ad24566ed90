// Islands benchmark: the same pages on two servers, "before" (the whole app
// hydrated) and "after" (islands), in headless Chromium with the CPU slowed
// 4× (CDP Emulation.setCPUThrottlingRate), alternating runs:
//
// - overview: from navigation start until the page is interactive (its
//   `data-hydrated="true"` marker), on a first visit (empty cache);
// - trends: from navigation start until the first chart's readout answers
//   the pointer (the mouse is moved over the chart until its readout shows
//   a value), on a first visit;
// - bytes over the wire (CDP encodedDataLength) for a first visit with an
//   empty cache and for a repeat visit in the same browser.
//
// Prints medians and after/before ratios. Both servers must run demo mode
// on fresh databases (the bench creates the admin through /setup).
//
// Usage: node islands-bench.mjs BEFORE_URL AFTER_URL [RUNS]
import { chromium } from "playwright-core";

const [before, after, runsArg] = process.argv.slice(2);
if (!before || !after) {
  console.error("usage: node islands-bench.mjs BEFORE_URL AFTER_URL [RUNS]");
  process.exit(2);
}
const RUNS = Number(runsArg ?? 5);
const ADMIN = { email: "bench@example.com", password: "bench password 2026" };
const SLOWDOWN = 4;

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
});

async function setup(base) {
  const page = await browser.newPage();
  await page.goto(`${base}/setup`);
  if (page.url().endsWith("/setup")) {
    await page.fill('input[name="email"]', ADMIN.email);
    await page.fill('input[name="password"]', ADMIN.password);
    await page.fill('input[name="confirm"]', ADMIN.password);
    await page.click('button[type="submit"]');
    await page.waitForLoadState("load");
  }
  await page.close();
}

async function signedInContext(base) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${base}/login`);
  await page.fill('input[name="email"]', ADMIN.email);
  await page.fill('input[name="password"]', ADMIN.password);
  await page.click('button[type="submit"]');
  await page.waitForSelector('[data-testid="signed-in-as"]');
  await page.close();
  return context;
}

/** Opens `path` on a fresh page of `context` with the CPU slowed, waits for
 *  `ready` and returns the time from navigation start and the bytes. With
 *  `cold`, the browser's cache is emptied first (signing in loaded the
 *  bundle already), so the visit is a first visit. */
async function visit(context, base, path, ready, cold) {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  if (cold) await cdp.send("Network.clearBrowserCache");
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: SLOWDOWN });
  let bytes = 0;
  cdp.on("Network.loadingFinished", (e) => (bytes += e.encodedDataLength));
  await page.goto(`${base}${path}`, { waitUntil: "commit" });
  const ms = await ready(page);
  // Let the last requests finish before counting.
  await page.waitForLoadState("networkidle");
  await page.close();
  return { ms, bytes };
}

const interactive = async (page) => {
  await page.waitForSelector('[data-hydrated="true"]', { state: "attached", timeout: 60_000 });
  return page.evaluate(() => performance.now());
};

const readout = async (page) => {
  const overlay = page.locator(".chart-overlay").first();
  await overlay.waitFor({ state: "attached", timeout: 60_000 });
  const hover = page.locator('[data-testid="chart-hover"]').first();
  for (let i = 0; i < 2000; i++) {
    const box = await overlay.boundingBox();
    if (box) {
      await page.mouse.move(box.x + box.width * (0.5 + (i % 2) * 0.1), box.y + box.height / 2);
      if (((await hover.textContent({ timeout: 1_000 }).catch(() => "")) ?? "").includes(" — ")) {
        return page.evaluate(() => performance.now());
      }
    }
    await page.waitForTimeout(20);
  }
  throw new Error("the chart readout never answered");
};

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

await setup(before);
await setup(after);
const results = { before: { overview: [], trends: [], first: [], repeat: [] }, after: { overview: [], trends: [], first: [], repeat: [] } };
for (let run = 0; run < RUNS; run++) {
  for (const [name, base] of run % 2 ? [["after", after], ["before", before]] : [["before", before], ["after", after]]) {
    const r = results[name];
    // A first visit: a new browser context, so nothing is cached yet.
    const context = await signedInContext(base);
    const first = await visit(context, base, "/", interactive, true);
    r.overview.push(first.ms);
    r.first.push(first.bytes);
    // A repeat visit of the same page, in the same browser.
    const repeat = await visit(context, base, "/", interactive, false);
    r.repeat.push(repeat.bytes);
    await context.close();
    const fresh = await signedInContext(base);
    r.trends.push((await visit(fresh, base, "/trends", readout, true)).ms);
    await fresh.close();
  }
}
await browser.close();

const row = (label, key, unit, digits) => {
  const b = median(results.before[key]);
  const a = median(results.after[key]);
  console.log(
    `${label.padEnd(44)} before ${b.toFixed(digits).padStart(10)} ${unit}   after ${a.toFixed(digits).padStart(10)} ${unit}   after/before ${(a / b).toFixed(3)}`,
  );
};
console.log(`islands-bench: ${RUNS} alternating runs each, CPU slowed ${SLOWDOWN}×, medians`);
row("overview: navigation → interactive", "overview", "ms", 0);
row("trends: navigation → chart readout answers", "trends", "ms", 0);
row("overview: bytes, first visit (empty cache)", "first", "B ", 0);
row("overview: bytes, repeat visit", "repeat", "B ", 0);
