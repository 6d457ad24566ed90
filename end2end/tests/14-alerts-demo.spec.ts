// Alerts on the demo, hydrated only (the demo project; the JavaScript-off
// runs of the forms are in 14-alerts.spec.ts): the starter rules the demo
// applied fire on the simulated errors and their cards reach the simulated
// Teams channel and the simulator's mailbox; every alert page passes axe-core at 1280 and 390 px.
import AxeBuilder from "@axe-core/playwright";
import { expect, test } from "@playwright/test";
import { ADMIN, firing, ready, signIn } from "./helpers";

test("the starter rules fire on the demo's errors and their cards reach the simulated Teams channel", async ({ page }, info) => {
  test.setTimeout(240_000);
  await signIn(page, info, ADMIN);
  await page.goto("/alerts");
  await ready(page, info);
  const rules = page.getByTestId("rules-table");
  for (const name of ["More than 10 errors per hour", "Reconciliation drift", "Record counts apart for more than an hour", "Collector silent for 15 minutes", "Map not Running"]) {
    await expect(rules).toContainText(name);
  }
  await firing(page, 2);
  // The overview puts them first.
  await page.goto("/");
  await expect(page.getByTestId("overview-alerts")).toContainText("More than 10 errors per hour");
  // Grouped for 30 s, then delivered within seconds: the channel's log has
  // the receiver's 202.
  await expect(async () => {
    await page.goto("/alerts/channels");
    const log = page.getByTestId("deliveries-table");
    await expect(log).toContainText("Simulated Teams channel", { timeout: 1_000 });
    await expect(log.locator("tr", { hasText: "Alert rule #" }).filter({ hasText: "Simulated Teams channel" }).first()).toContainText("202");
    // And by email to the simulator's mailbox, which answers 250.
    await expect(log.locator("tr", { hasText: "Alert rule #" }).filter({ hasText: "Simulated mailbox" }).first()).toContainText("250");
  }).toPass({ timeout: 90_000, intervals: [5_000] });
  await expect(page.getByTestId("channels-table")).toContainText("http://127.0.0.1:");
  await expect(page.getByTestId("channels-table")).not.toContainText("/teams/webhook");
});

test("the alert pages read at 390 px and pass axe-core's WCAG 2 A and AA checks", async ({ page }, info) => {
  await signIn(page, info, ADMIN);
  await page.goto("/alerts");
  const rule = await page.getByTestId("rules-table").getByRole("link", { name: "More than 10 errors per hour" }).getAttribute("href");
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    for (const path of ["/alerts", rule!, `${rule}/edit`, `${rule}/history`, "/alerts/silences", "/alerts/channels"]) {
      await page.goto(path);
      await ready(page, info);
      if (path.endsWith("/edit")) {
        await page.getByTestId("preview-7").click();
        await expect(page.getByTestId("alert-preview")).toBeVisible({ timeout: 20_000 });
      }
      const result = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa"]).analyze();
      const found = result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")}`);
      expect(found, `${path} at ${width} px`).toEqual([]);
      // Nothing wider than the window but the tables' own scroll boxes.
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, `${path} at ${width} px scrolls sideways`).toBeLessThanOrEqual(0);
    }
  }
});
