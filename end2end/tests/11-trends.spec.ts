// Trends, overview and the weekly review on the demo's live data, as an
// admin uses them: pick 7 d, filter a map and see the charts change, read
// a value under the pointer, open the data and download it; write the
// week's review note and print the review. With JavaScript off the same
// pages render and work through plain links and forms.
import { expect, test } from "@playwright/test";
import { readFileSync } from "node:fs";
import { ADMIN, hydrated, ready, signIn } from "./helpers";

test("an admin picks 7 d, filters a map, reads the charts and downloads their data", async ({ page }, info) => {
  await signIn(page, info, ADMIN);
  // The overview: the demo environment at a glance.
  await expect(page.getByTestId("overview-maps")).toContainText("Customers V3");
  await expect(page.getByTestId("maps-by-state")).toContainText("running");

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Trends", exact: true }).click();
  await expect(page).toHaveURL(/\/trends$/);
  await expect(page.getByRole("navigation", { name: "Chart pages" }).getByRole("link", { name: "Errors" })).toHaveAttribute("aria-current", "page");
  await ready(page, info);
  const byCategory = page.getByTestId("chart-errors-by-category");
  await expect(byCategory.locator(".chart-svg svg")).toBeVisible();
  await expect(byCategory.locator("ul.legend")).not.toBeEmpty();

  await page.getByRole("navigation", { name: "Chart pages" }).getByRole("link", { name: "Throughput" }).click();
  await expect(page).toHaveURL(/\/trends\/throughput/);
  await ready(page, info);
  await page.locator("a[data-range='7d']").click();
  await expect(page).toHaveURL(/range=7d/);
  await ready(page, info);
  await expect(page.getByTestId("trend-range")).toContainText("by hour");
  const synced = page.getByTestId("chart-throughput");
  // Every map's records: the busiest ones are named in the legend.
  await expect(synced.locator("ul.legend")).toContainText("Sales invoice headers V2");

  const filters = page.getByTestId("trend-filters");
  await filters.locator('select[name="map"]').selectOption({ label: "Customers V3" });
  await filters.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(/map=\d+/);
  await expect(page).toHaveURL(/range=7d/);
  await ready(page, info);
  // One map: its directions instead of the maps.
  await expect(synced.locator("ul.legend")).not.toContainText("Sales invoice headers V2");
  await expect(synced.locator("ul.legend")).toContainText("F&O → Dataverse");

  if (hydrated(info)) {
    // The value under the pointer, near the end of the range.
    const overlay = synced.locator(".chart-overlay");
    const box = await overlay.boundingBox();
    await page.mouse.move(box!.x + box!.width * 0.96, box!.y + box!.height / 2);
    await expect(synced.getByTestId("chart-hover")).toContainText(" — ");
  }

  await synced.getByText("Show data").click();
  await expect(synced.locator(".chart-data tbody tr").first()).toBeVisible();

  const [download] = await Promise.all([
    page.waitForEvent("download"),
    synced.getByRole("link", { name: "Download CSV" }).click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/^throughput-Simulated-demo-\d{4}-\d{2}-\d{2}\.csv$/);
  const lines = readFileSync((await download.path())!, "utf8").trimEnd().split("\n");
  expect(lines[0]).toMatch(/^bucket_start_utc,.*F&O → Dataverse/);
  expect(lines.length).toBe(1 + 7 * 24);
});

test("on a phone the charts are drawn for its width, so their words stay readable", async ({ page }, info) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await signIn(page, info, ADMIN);
  await page.goto("/trends/throughput?range=7d");
  await ready(page, info);
  const chart = page.getByTestId("chart-throughput");
  await expect(chart.locator(".chart-svg svg")).toBeHidden();
  const phone = chart.locator(".chart-svg-phone svg");
  await expect(phone).toBeVisible();
  // Every word of the drawing at least 9 px high on screen (the desk
  // drawing, scaled to this width, had 4 px words).
  const smallest = await phone.evaluate((svg) =>
    Math.min(...[...svg.querySelectorAll("text")].map((t) => parseFloat(getComputedStyle(t).fontSize) * svg.getBoundingClientRect().width / (svg as SVGSVGElement).viewBox.baseVal.width)),
  );
  expect(smallest).toBeGreaterThanOrEqual(9);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  if (hydrated(info)) {
    // The pointer reads the phone drawing: a value, and the guide under
    // the pointer.
    const overlay = chart.locator(".chart-overlay");
    await overlay.scrollIntoViewIfNeeded();
    const box = await overlay.boundingBox();
    const x = box!.x + box!.width * 0.9;
    await page.mouse.move(x, box!.y + box!.height / 2);
    await expect(chart.getByTestId("chart-hover")).toContainText(" — ");
    const guide = await chart.locator(".chart-guide").boundingBox();
    expect(Math.abs(guide!.x - x)).toBeLessThan(box!.width * 0.02);
  }
});

test("an admin writes the week's review note and prints the review", async ({ page }, info) => {
  await signIn(page, info, ADMIN);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Weekly review" }).click();
  await expect(page).toHaveURL(/\/review/);
  await ready(page, info);
  await expect(page.getByTestId("review-week")).toContainText("Simulated demo");
  await expect(page.getByTestId("review-categories")).toContainText("This week");
  await expect(page.getByTestId("review-top-groups")).toBeVisible();

  const note = `Throttling peaked after the re-sync (${info.project.name}); Anna follows up with Microsoft.`;
  const form = page.getByTestId("review-note-form");
  await form.locator('textarea[name="body"]').fill(note);
  await form.getByRole("button", { name: "Save notes" }).click();
  await expect(page.getByRole("status")).toHaveText("Notes saved.");
  await expect(page.getByTestId("review-note-meta")).toContainText("admin@example.com");
  await page.reload();
  await ready(page, info);
  await expect(page.getByTestId("review-note-form").locator('textarea[name="body"]')).toHaveValue(note);

  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: "Download CSV" }).first().click(),
  ]);
  const csv = readFileSync((await download.path())!, "utf8");
  expect(csv.startsWith("section,item,measure,value\n")).toBe(true);
  expect(csv).toContain("errors_by_category,");

  // Print: the report without navigation or forms, the note as text.
  await page.emulateMedia({ media: "print" });
  await expect(page.locator("header.topbar")).toBeHidden();
  await expect(page.getByTestId("review-note-form")).toBeHidden();
  await expect(page.getByTestId("review-note")).toBeVisible();
  await expect(page.getByTestId("review-note")).toHaveText(note);
  await expect(page.getByTestId("review").locator("figure.chart .chart-svg svg")).toBeVisible();
  await page.screenshot({ path: info.outputPath("review-print.png"), fullPage: true });
});
