// Every page of the console on the demo's data (it has maps, errors,
// trends, alerts and collectors): at 390 × 844 none is wider than the
// phone, and axe-core finds no serious or critical WCAG 2 A/AA violation
// on any of them. Runs hydrated (demo) and, for the width, with JavaScript
// off (demo-nojs). Needs 09-demo first, which creates the admin.
import AxeBuilder from "@axe-core/playwright";
import { expect, Page, test, TestInfo } from "@playwright/test";
import { ADMIN, hydrated, ready, signIn } from "./helpers";

/** The first link on `path` whose address matches `pattern`. */
async function firstHref(page: Page, path: string, pattern: RegExp): Promise<string> {
  await page.goto(path);
  const hrefs = await page.locator("main a[href]").evaluateAll((as) => as.map((a) => a.getAttribute("href")!));
  const found = hrefs.find((h) => pattern.test(h));
  expect(found, `a link like ${pattern} on ${path}`).toBeTruthy();
  return found!;
}

/** Every page a signed-in admin can open, with real ids from the demo. */
async function everyPage(page: Page): Promise<string[]> {
  const map = await firstHref(page, "/maps", /^\/maps\/\d+$/);
  const group = await firstHref(page, "/errors?state=all", /^\/errors\/groups\/\d+/);
  const rule = await firstHref(page, "/alerts", /^\/alerts\/rules\/\d+$/);
  const field = await firstHref(page, map, /^\/fields\/\d+\/edit$/);
  const fieldHistory = field.replace(/\/edit$/, "/history");
  return [
    "/",
    "/errors",
    "/errors?state=all",
    group,
    "/errors/import",
    "/errors/classifier",
    "/trends",
    "/trends/throughput",
    "/trends/counts",
    "/review",
    "/maps",
    "/maps/new",
    "/maps/import",
    map,
    `${map}/edit`,
    `${map}/history`,
    `${map}/import`,
    `${map}/reconcile`,
    field,
    fieldHistory,
    "/search?q=customer",
    "/alerts",
    "/alerts/channels",
    "/alerts/silences",
    "/alerts/rules/new",
    rule,
    `${rule}/edit`,
    `${rule}/history`,
    "/cutover",
    "/collectors",
    "/audit",
    "/admin/users",
    "/admin/tokens",
    "/admin/environments",
    "/no-such-page",
  ];
}

const MAIN_PAGES = ["/", "/errors", "/trends", "/review"];

/** axe-core's serious and critical WCAG 2 A/AA violations on the open page. */
async function seriousViolations(page: Page, path: string): Promise<string[]> {
  const result = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa"]).analyze();
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${path}: ${v.id} (${v.impact}) at ${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")}`);
}

/** Opens each page at the current width: pages wider than the window and,
 *  hydrated (axe-core runs as a script in the page), serious violations. */
async function problemsOn(page: Page, info: TestInfo, pages: string[]): Promise<string[]> {
  const problems: string[] = [];
  for (const path of pages) {
    await page.goto(path);
    await ready(page, info);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    if (overflow > 0) problems.push(`${path}: ${overflow} px wider than the window`);
    if (hydrated(info)) problems.push(...(await seriousViolations(page, path)));
  }
  return problems;
}

test("every page reads at 390 px and passes axe-core", async ({ page }, info) => {
  test.setTimeout(300_000);
  await signIn(page, info, ADMIN);
  const pages = await everyPage(page);
  const map = pages.find((p) => /^\/maps\/\d+$/.test(p))!;
  expect(MAIN_PAGES.length + 1).toBeLessThan(pages.length);

  await page.setViewportSize({ width: 390, height: 844 });
  expect(await problemsOn(page, info, pages)).toEqual([]);

  // The main pages, named: overview, queue, a map, trends and review.
  for (const path of [...MAIN_PAGES, map]) {
    await page.goto(path);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width, `${path} at 390 px`).toBeLessThanOrEqual(390);
  }
});

test("every page fits 1280 px and passes axe-core there too", async ({ page }, info) => {
  test.setTimeout(300_000);
  await page.setViewportSize({ width: 1280, height: 900 });
  await signIn(page, info, ADMIN);
  const pages = await everyPage(page);
  expect(await problemsOn(page, info, pages)).toEqual([]);
});

test("the sign-in and setup pages read at 390 px and pass axe-core", async ({ browser }, info) => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, javaScriptEnabled: hydrated(info) });
  const page = await context.newPage();
  for (const path of ["/login", "/setup"]) {
    await page.goto(path);
    await ready(page, info);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, `${path} at 390 px`).toBeLessThanOrEqual(0);
    if (hydrated(info)) expect(await seriousViolations(page, path)).toEqual([]);
  }
  await context.close();
});
