// The weekly meeting, the wiki and the printout at 1280 px, as the team
// meets them: the queue and the map page fit the screen, a bulk action says
// what it changed, the review names the conflict-rule decisions and prints
// without split rows, search lands on the field, the audit log names the
// environment, and pages a role cannot use say so instead of showing forms.
// Runs hydrated and with JavaScript off, after the suites that fill UAT.
import { expect, test, Page } from "@playwright/test";
import { ADMIN, EDITOR, VIEWER, hydrated, ready, signIn } from "./helpers";

/** Tables wider than the box they sit in: [testid or class, table, box]. */
async function overflowingTables(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    for (const t of Array.from(document.querySelectorAll("main table"))) {
      const box = (t.closest(".table-wrap, .table-scroll") ?? t.parentElement) as HTMLElement;
      const main = document.querySelector("main") as HTMLElement;
      const limit = Math.min(box.clientWidth, main.clientWidth);
      if (t.scrollWidth > limit + 1 && !t.closest(".table-scroll")) {
        out.push(`${t.getAttribute("data-testid") ?? t.className}: ${t.scrollWidth} > ${limit}`);
      }
    }
    if (document.documentElement.scrollWidth > window.innerWidth + 1) {
      out.push(`page: ${document.documentElement.scrollWidth} > ${window.innerWidth}`);
    }
    return out;
  });
}

test.use({ viewport: { width: 1280, height: 900 } });

test("every page of the navigation fits 1280 px without tables wider than their box", async ({ page }, info) => {
  await signIn(page, info, ADMIN);
  await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Table maps" })).toBeVisible();
  const links = await page
    .getByRole("navigation", { name: "Main" })
    .locator("a[href^='/']")
    .evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).getAttribute("href")!));
  const mapId = await (async () => {
    await page.goto("/maps?env=UAT");
    const href = await page.getByTestId("maps-table").getByRole("link", { name: "Customers V3", exact: true }).getAttribute("href");
    return href!.split("/").pop();
  })();
  const pages = [...new Set([...links, "/errors?env=UAT&state=all", `/maps/${mapId}`, "/review?env=UAT", "/audit"])];
  expect(pages.length).toBeGreaterThan(8);
  for (const path of pages) {
    await page.goto(path);
    await ready(page, info);
    expect(await overflowingTables(page), path).toEqual([]);
  }
  // The queue's last columns are on screen, not behind a scrollbar.
  await page.goto("/errors?env=UAT&state=all");
  const lastHeader = page.getByTestId("groups-table").locator("thead th").last();
  await expect(lastHeader).toHaveText("State");
  await expect(lastHeader).toBeInViewport();
  // The map page's Remove buttons too.
  await page.goto(`/maps/${mapId}`);
  const right = await page
    .getByTestId("fields-table")
    .getByRole("button", { name: "Remove" })
    .first()
    .evaluate((b) => b.getBoundingClientRect().right);
  expect(right).toBeLessThanOrEqual(1280);
});

test("a bulk action says what it changed", async ({ page }, info) => {
  await signIn(page, info, EDITOR);
  await page.goto("/errors?env=UAT&state=all");
  await ready(page, info);
  const rows = page.getByTestId("groups-table").locator("tbody tr");
  const n = await rows.count();
  expect(n).toBeGreaterThan(1);
  const triage = page.getByTestId("triage-form");
  await triage.locator('input[name="scope"][value="matching"]').check();
  await triage.locator('select[name="state"]').selectOption("resolved");
  await triage.locator('input[name="comment"]').fill(`Weekly review (${info.project.name})`);
  await triage.getByRole("button", { name: "Apply" }).click();
  await expect(page.getByTestId("triage-done")).toHaveText(`${n} groups resolved.`);
  // And back to open for the suites after this one.
  await ready(page, info);
  await page.getByTestId("triage-form").locator('input[name="scope"][value="matching"]').check();
  await page.getByTestId("triage-form").locator('select[name="state"]').selectOption("open");
  await page.getByTestId("triage-form").getByRole("button", { name: "Apply" }).click();
  await expect(page.getByTestId("triage-done")).toHaveText(`${n} groups open.`);
});

test("the weekly review names each conflict-rule decision and renders the note as Markdown", async ({ page }, info) => {
  await signIn(page, info, EDITOR);
  await page.goto("/review?env=UAT");
  await ready(page, info);
  const changes = page.getByTestId("review-changes");
  await expect(changes).toContainText("Customers V3 · map default: F&O wins");
  await expect(changes).toContainText("Customers V3 · CreditLimit ↔ creditlimit: Last write wins");
  await expect(changes).toContainText("decided by editor@example.com");
  // Without a comment the rationale is the why, without its Markdown.
  await expect(changes).toContainText("Customers are credit-checked in F&O first.");
  await expect(changes).not.toContainText("**");

  const form = page.getByTestId("review-note-form");
  await form.locator('textarea[name="body"]').fill(`**Decision** (${info.project.name}): contacts load *before* customers.`);
  await form.getByRole("button", { name: "Save notes" }).click();
  await expect(page.getByRole("status")).toHaveText("Notes saved.");
  await expect(page.getByTestId("review-note").locator("strong", { hasText: "Decision" })).toBeVisible();

  // Print: rows and charts never split across pages; headings stay with
  // what follows; the note prints rendered.
  await page.emulateMedia({ media: "print" });
  const styles = await page.evaluate(() => {
    const tr = document.querySelector(".review tbody tr")!;
    const h2 = document.querySelector(".review h2")!;
    return [getComputedStyle(tr).breakInside, getComputedStyle(h2).breakAfter];
  });
  expect(styles).toEqual(["avoid-page", "avoid-page"]);
  await expect(page.getByTestId("review-note").locator("strong", { hasText: "Decision" })).toBeVisible();
  if (hydrated(info)) {
    const pdf = await page.pdf({ format: "A4" });
    const pages = (pdf.toString("latin1").match(/\/Type\s*\/Page[^s]/g) ?? []).length;
    expect(pages).toBeGreaterThan(0);
    expect(pages).toBeLessThanOrEqual(4);
  }
});

test("search reaches the field after hydration and shows snippets without Markdown", async ({ page }, info) => {
  await signIn(page, info, VIEWER);
  await page.goto("/maps?env=UAT");
  await ready(page, info);
  // The default rule's rationale is "Customers are **credit-checked** in F&O first."
  await page.getByRole("searchbox", { name: "Search the rule book" }).fill("checked");
  await page.getByRole("button", { name: "Search", exact: true }).click();
  const hits = page.getByTestId("search-hits");
  await expect(hits.locator("mark", { hasText: "checked" }).first()).toBeVisible();
  await expect(hits).not.toContainText("**");

  await page.goto("/maps?env=UAT");
  await page.getByRole("searchbox", { name: "Search the rule book" }).fill("ProbeField");
  await page.getByRole("button", { name: "Search", exact: true }).click();
  await ready(page, info);
  await hits.locator("li").filter({ hasText: "(field)" }).first().getByRole("link").click();
  await expect(page).toHaveURL(/\/maps\/\d+#field-\d+$/);
  const target = new URL(page.url()).hash;
  await expect(page.locator(target)).toBeInViewport();
});

test("the audit log names the environment and links to the object; the overview lists changes, not sign-ins", async ({ page }, info) => {
  await signIn(page, info, ADMIN);
  await page.goto("/audit?action=map.");
  const table = page.getByTestId("audit-table");
  const row = table.locator("tbody tr", { hasText: "Customers V3" }).first();
  await expect(row).toContainText("UAT");
  await expect(row.getByRole("link", { name: /table map 'Customers V3'/ })).toHaveAttribute("href", /^\/maps\/\d+$/);

  await page.goto("/");
  const recent = page.locator("ul.activity");
  await expect(recent.locator("li").first()).toBeVisible();
  await expect(recent).not.toContainText("signed in");
});

test("pages a role cannot use say which role they need, and unknown pages keep the navigation", async ({ page }, info) => {
  await signIn(page, info, VIEWER);
  for (const path of ["/maps/1/edit", "/maps/new?env=UAT", "/admin/environments"]) {
    const res = await page.goto(path);
    expect(res!.status(), path).toBe(403);
    await expect(page.getByTestId("forbidden"), path).toContainText("needs the");
    await expect(page.locator("main form"), path).toHaveCount(0);
  }
  const res = await page.goto("/no/such/page");
  expect(res!.status()).toBe(404);
  await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Error queue" })).toBeVisible();
  await expect(page.getByTestId("not-found")).toBeVisible();

  await page.context().clearCookies();
  await signIn(page, info, EDITOR);
  const users = await page.goto("/admin/users");
  expect(users!.status()).toBe(403);
  await expect(page.getByTestId("forbidden")).toContainText("This page needs the admin role");
});

test("adding an environment says so and empties the form", async ({ page }, info) => {
  await signIn(page, info, ADMIN);
  await page.goto("/admin/environments");
  await ready(page, info);
  const name = `Training ${info.project.name}`;
  const form = page.getByTestId("add-environment-form");
  await form.locator('input[name="name"]').fill(name);
  await form.getByRole("button", { name: "Add environment" }).click();
  await expect(page.getByTestId("environment-saved")).toHaveText(`Environment ${name} added.`);
  await expect(page.getByTestId("add-environment-form").locator('input[name="name"]')).toHaveValue("");
  await expect(page.getByTestId("environments-table")).toContainText(name);
});

test("a custom range starts out ending today, and the chart pages list state changes once", async ({ page }, info) => {
  await signIn(page, info, ADMIN);
  await page.goto("/trends?env=UAT&range=7d");
  const today = new Date().toISOString().slice(0, 10);
  await expect(page.locator('.custom-range input[name="to"]')).toHaveValue(today);
  // The per-chart copies of the list are gone; one list serves the page.
  await expect(page.locator("figure.chart .chart-notes")).toHaveCount(0);
  expect(await page.getByTestId("state-changes").count()).toBeLessThanOrEqual(1);
});
