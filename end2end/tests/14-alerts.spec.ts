// Alerts on the demo's live data, as an admin uses them: editing the
// errors-per-hour rule previews what it would have done on the stored
// history; a deleted starter rule comes back with the starter set; one
// alert is silenced, another acknowledged; the trend chart of a map draws
// the rule's threshold; an email channel's test reaches the simulator's
// mailbox. With JavaScript off the same forms work as plain
// posts. (Delivery and the accessibility checks, hydrated only, are in
// 14-alerts-demo.spec.ts.)
import { expect, test } from "@playwright/test";
import { ADMIN, firing, ready, signIn } from "./helpers";

test("editing the errors-per-hour rule previews the hours it would have fired, then saves", async ({ page }, info) => {
  await signIn(page, info, ADMIN);
  await page.goto("/alerts");
  await ready(page, info);
  await page.getByTestId("rules-table").getByRole("link", { name: "More than 10 errors per hour" }).click();
  await expect(page.getByTestId("alert-rule")).toContainText("above 10 (resolves at 5)");
  await ready(page, info);
  await page.getByRole("link", { name: "Edit", exact: true }).click();
  await expect(page.getByTestId("alert-rule-form")).toBeVisible();
  await ready(page, info);
  await page.locator('input[name="form[threshold]"]').fill("20");
  await page.locator('input[name="form[recovery]"]').fill("8");
  await page.getByTestId("preview-7").click();
  const preview = page.getByTestId("alert-preview");
  await expect(preview).toBeVisible({ timeout: 20_000 });
  await expect(page).toHaveURL(/preview=7/);
  // The form keeps what was typed; the summary and each map's periods.
  await expect(page.locator('input[name="form[threshold]"]')).toHaveValue("20");
  await expect(page.getByTestId("preview-summary")).toContainText(/would have fired \d+ times? and sent \d+ notifications?/);
  await expect(page.getByTestId("preview-table")).toContainText("Customers V3");
  await expect(page.getByTestId("preview-table")).toContainText(" → ");
  await expect(page.getByTestId("chart-alert-preview").locator("ul.legend")).toContainText("fires above 20");
  await page.locator('input[name="comment"]').fill(`Less noise (${info.project.name})`);
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page).toHaveURL(/\/alerts\/rules\/\d+$/);
  await expect(page.getByTestId("alert-rule")).toContainText("above 20 (resolves at 8)");
  // Put it back, so the other runs start from the starter rule.
  await page.getByRole("link", { name: "Edit", exact: true }).click();
  await ready(page, info);
  await page.locator('input[name="form[threshold]"]').fill("10");
  await page.locator('input[name="form[recovery]"]').fill("5");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByTestId("alert-rule")).toContainText("above 10 (resolves at 5)");
  // A wrong recovery threshold is refused with the reason; nothing saved.
  await page.getByRole("link", { name: "Edit", exact: true }).click();
  await ready(page, info);
  await page.locator('input[name="form[recovery]"]').fill("50");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("alert")).toContainText("The recovery threshold must be at or below the threshold (10)");
  await page.goto("/alerts");
  await expect(page.getByTestId("rules-table")).toContainText("above 10 (resolves at 5)");
});

test("a deleted starter rule comes back with the starter set, and its history keeps both", async ({ page }, info) => {
  await signIn(page, info, ADMIN);
  await page.goto("/alerts");
  await ready(page, info);
  await page.getByTestId("rules-table").getByRole("link", { name: "Map not Running" }).click();
  await expect(page.getByTestId("alert-rule")).toContainText("Map not Running in F&O");
  await ready(page, info);
  await page.locator('form.danger-zone input[name="comment"]').fill(`Not needed here (${info.project.name})`);
  await page.getByRole("button", { name: "Delete this rule" }).click();
  await expect(page).toHaveURL(/\/alerts\?env=/);
  await ready(page, info);
  await expect(page.getByTestId("rules-table")).not.toContainText("Map not Running");
  await page.getByRole("button", { name: "Apply the starter set" }).click();
  await expect(page.getByTestId("rules-table")).toContainText("Map not Running");
  // The deleted one is listed to restore; its history has the deletion.
  await page.locator("details.deleted summary").click();
  await page.locator("details.deleted").getByRole("link", { name: "Map not Running" }).first().click();
  await expect(page.getByTestId("history-table")).toContainText("delete");
  await expect(page.getByTestId("history-table")).toContainText(`Not needed here (${info.project.name})`);
});

test("one alert is silenced and another acknowledged", async ({ page }, info) => {
  test.setTimeout(240_000);
  await signIn(page, info, ADMIN);
  await firing(page, 2);
  await ready(page, info);
  // Silence the first firing alert from its row.
  const first = page.locator('[data-testid="active-alert"][data-state="firing"]').first();
  const where = (await first.locator("td").nth(2).innerText()).trim();
  await first.getByRole("link", { name: "Silence…" }).click();
  await expect(page.getByTestId("silence-form")).toBeVisible();
  await ready(page, info);
  await expect(page.locator('select[name="form[map]"]')).toHaveValue(where);
  await page.locator('input[name="form[comment]"]').fill(`Patching ${where} (${info.project.name})`);
  await page.getByRole("button", { name: "Add silence" }).click();
  await expect(page.getByTestId("silence-added")).toContainText(/^Silence #\d+ added: .*map = /);
  await expect(page.getByTestId("silence-added")).toContainText(`map = ${where}`);
  await expect(page.getByTestId("live-silences")).toContainText(`map = ${where}`);
  await expect(page.getByTestId("live-silences")).toContainText("Holding now");
  // Acknowledge a firing alert that is not yet acknowledged.
  await page.goto("/alerts");
  await ready(page, info);
  const row = page.locator('[data-testid="active-alert"][data-state="firing"]', { has: page.getByRole("button", { name: "Acknowledge" }) }).first();
  const rule = (await row.locator("td").nth(2).innerText()).trim();
  await row.locator('input[name="comment"]').fill(`On it (${info.project.name})`);
  await row.getByRole("button", { name: "Acknowledge" }).click();
  await expect(page.locator('[data-testid="active-alert"]', { hasText: `On it (${info.project.name})` })).toContainText(rule);
});

test("the trend chart of a map draws the threshold of the rule that watches it", async ({ page }, info) => {
  await signIn(page, info, ADMIN);
  await page.goto("/trends?range=7d");
  await ready(page, info);
  const filters = page.getByTestId("trend-filters");
  await filters.locator('select[name="map"]').selectOption({ label: "Customers V3" });
  await filters.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(/map=\d+/);
  await ready(page, info);
  const chart = page.getByTestId("chart-errors-by-category");
  await expect(chart.locator("ul.legend")).toContainText("More than 10 errors per hour: fires above 10 (resolves at 5)");
  await expect(chart.locator(".chart-svg svg")).toContainText("More than 10 errors per hour");
});

test("an admin adds an email channel, sets its grouping, and its test reaches the simulated mailbox", async ({ page, request }, info) => {
  test.setTimeout(120_000);
  const name = `Ops mail (${info.project.name})`;
  const to = `ops-${info.project.name}@demo.invalid`;
  await signIn(page, info, ADMIN);
  await page.goto("/alerts/channels");
  await ready(page, info);
  await expect(page.getByTestId("email-relay")).toContainText("the simulator's mailbox at 127.0.0.1:");
  const form = page.getByTestId("channel-form");
  // A bad address is refused by name, and the form keeps the channel out.
  await form.locator('input[name="form[name]"]').fill(name);
  await form.locator('select[name="form[kind]"]').selectOption("email");
  await form.locator('input[name="form[target]"]').fill(`${to}, not-an-address`);
  await form.getByRole("button", { name: "Add channel" }).click();
  await expect(page.getByRole("alert")).toContainText("'not-an-address' is not an email address");
  await page.goto("/alerts/channels");
  await ready(page, info);
  await expect(page.getByTestId("channels-table")).not.toContainText(name);
  await form.locator('input[name="form[name]"]').fill(name);
  await form.locator('select[name="form[kind]"]').selectOption("email");
  await form.locator('input[name="form[target]"]').fill(to);
  await form.getByRole("button", { name: "Add channel" }).click();
  const row = page.getByTestId("channel-row").filter({ hasText: name });
  await expect(row).toContainText(to);
  // Its grouping: no wait, one notification a minute, no resolved ones.
  const timing = page.getByTestId("timing-form").filter({ hasText: name });
  await timing.locator("summary").click();
  await timing.locator('input[name="form[group_wait]"]').fill("0");
  await timing.locator('input[name="form[group_interval]"]').fill("1");
  await timing.locator('input[name="form[send_resolved]"]').uncheck();
  await timing.getByRole("button", { name: "Save timing" }).click();
  await expect(row.getByTestId("channel-timing")).toContainText("0 s, then every 1 min; repeats after 4 h; not when resolved");
  await row.getByRole("button", { name: `Send a test to ${name}` }).click();
  // The delivery task runs every 5 s; the mailbox answers 250.
  await expect(async () => {
    await page.goto("/alerts/channels");
    await expect(page.getByTestId("deliveries-table").locator("tr", { hasText: name }).first()).toContainText("250", { timeout: 1_000 });
  }).toPass({ timeout: 60_000, intervals: [3_000] });
  // The simulator's mailbox (beside its Teams receiver) holds the email.
  const teams = await page.getByTestId("channel-row").filter({ hasText: "Simulated Teams channel" }).locator("code").innerText();
  const simulator = teams.replace(/\/…$/, "");
  const inbox = await (await request.get(`${simulator}/mail/inbox`)).json();
  const mail = inbox.find((m: { to: string[] }) => m.to.includes(to));
  expect(mail, JSON.stringify(inbox.map((m: { to: string[] }) => m.to))).toBeTruthy();
  expect(mail.subject).toContain("Firing: Test notification");
  expect(mail.data).toContain("multipart/alternative");
});
