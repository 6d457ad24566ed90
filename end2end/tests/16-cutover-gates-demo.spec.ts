// Gates that check themselves, on the demo's simulated environment: an
// admin plans the weekend from the template, has its freeze silence one
// alert rule (the rehearsal adds the silence), and points the counts gate
// at "Terms of payment", adds a gate on "Customers V3" (where the
// simulator injects drift), rehearses, and sees each gate counted afresh
// as it starts — green and passed by the console on the equal counts, red
// with both figures on the drifting ones — then a viewer reads both on
// the status page on a phone. Runs hydrated and with JavaScript off.
import AxeBuilder from "@axe-core/playwright";
import { expect, test } from "@playwright/test";
import { ADMIN, hoursAgo, hydrated, ready, signIn } from "./helpers";

test("counts gates count afresh as they start: green on equal counts, red on injected drift", async ({ page }, info) => {
  test.setTimeout(120_000);
  const name = `Gates ${info.project.name}`;
  await signIn(page, info, ADMIN);
  await page.goto("/cutover");
  await ready(page, info);
  const form = page.getByTestId("new-plan-form");
  await form.locator('input[name="name"]').fill(name);
  await form.getByRole("button", { name: "Create plan" }).click();
  await expect(page).toHaveURL(/\/cutover\/plans\/\d+$/);
  const planUrl = page.url();

  // The freeze silences one of the demo's alert rules: one that never
  // fires here, so the alert tests that run after this one still see
  // their alerts fire.
  await ready(page, info);
  await page.getByRole("link", { name: "Freeze window, rollback criteria and alert silences" }).click();
  await ready(page, info);
  const rule = "Collector silent for 15 minutes";
  await page.getByTestId("silence-rules").getByLabel(rule).check();
  await page.getByRole("button", { name: "Save plan" }).click();
  await expect(page).toHaveURL(/\/cutover\/plans\/\d+$/);

  // S4 counts one map that the simulator keeps equal on both sides.
  await ready(page, info);
  await page.getByRole("link", { name: "Record counts match on both sides" }).click();
  await ready(page, info);
  const check = page.getByTestId("gate-check");
  await expect(check.locator('select[name="form[check_kind]"]')).toHaveValue("counts");
  await expect(check).toContainText("Terms of payment");
  await check.locator('input[name="form[check_maps]"]').fill("Terms of payment");
  await page.getByRole("button", { name: "Save task" }).click();
  await expect(page).toHaveURL(/#task-S4$/);

  // A new gate on Customers V3, which drifts.
  await ready(page, info);
  await page.getByRole("link", { name: "Add a task" }).click();
  await ready(page, info);
  await page.locator('input[name="form[id]"]').fill("S5");
  await page.locator('select[name="form[kind]"]').selectOption("gate");
  // The check's settings fold away on a new task (a plain task has none).
  await page.getByTestId("gate-check").locator("summary").click();
  await page.locator('input[name="form[title]"]').fill("Customer counts match");
  await page.locator('input[name="form[stage]"]').fill("Saturday morning: initial sync");
  await page.locator('input[name="form[duration]"]').fill("15");
  await page.locator('input[name="form[predecessors]"]').fill("S2");
  await page.locator('select[name="form[check_kind]"]').selectOption("counts");
  await page.locator('input[name="form[check_maps]"]').fill("Customers V3");
  await page.locator('input[name="form[check_tolerance]"]').fill("0");
  await page.getByRole("button", { name: "Add task" }).click();
  await expect(page).toHaveURL(/#task-S5$/);
  await expect(page.locator("#task-S5")).toContainText("Customer counts match");

  // A rehearsal, worked up to the initial sync.
  await page.goto(planUrl);
  await ready(page, info);
  await page.getByTestId("start-run").locator("summary").click();
  await page.getByRole("button", { name: "Start run" }).click();
  await expect(page).toHaveURL(/\/cutover\/runs\/\d+$/);
  const runUrl = page.url();
  await expect(page.getByTestId("run-silenced")).toContainText(`Alert rules silenced during the freeze: ${rule}.`);
  await page.getByTestId("run-silenced").getByRole("link", { name: "Silences" }).click();
  await expect(page.getByText(`Freeze of Rehearsal 1 · ${name}`).first()).toBeVisible();
  const act = async (id: string, button: string, comment = "") => {
    await page.goto(runUrl);
    await ready(page, info);
    if (comment) await page.locator(`#task-${id}`).locator('input[name="comment"]').fill(comment);
    await page.locator(`#task-${id}`).getByRole("button", { name: button, exact: true }).click();
    await expect(page).toHaveURL(new RegExp(`#task-${id}$`));
  };
  for (const id of ["F1", "F2", "F3"]) await act(id, "Complete");
  await act("F4", "Override: pass", "Reconciled by hand for the rehearsal");
  await act("F5", "Go", "Go for the rehearsal");
  for (const id of ["S1", "S2"]) await act(id, "Complete");

  // S4 starts: the console counts Terms of payment on both sides now and
  // passes the gate on that evidence.
  await act("S4", "Start");
  await expect(page.locator("#task-S4")).toHaveAttribute("data-status", "done");
  const s4 = page.locator('[data-gate="S4"]');
  await expect(s4).toHaveAttribute("data-light", "pass");
  await expect(s4).toContainText("Passed by its check");
  await expect(s4.getByTestId("gate-findings")).toContainText(/Terms of payment: F&O 24, Dataverse 24 \(equal; tolerance 0\), counted (just now|1 min ago)/);
  await expect(page.getByTestId("run-log")).toContainText("S4 (Record counts match on both sides): passed by its own check");

  // S5 starts: Customers V3 differs, so it stays red, with both figures.
  await act("S5", "Start");
  await expect(page.locator("#task-S5")).toHaveAttribute("data-status", "running");
  const s5 = page.locator('[data-gate="S5"]');
  await expect(s5).toHaveAttribute("data-light", "fail");
  await expect(s5).toContainText("Failing");
  await expect(s5.getByTestId("gate-findings")).toContainText(/Customers V3: F&O [\d,]+, Dataverse [\d,]+ \([\d,]+ apart; tolerance 0\)/);
  // Checked again on demand: still red.
  await page.locator("#task-S5").getByTestId("check-now").click();
  await expect(page).toHaveURL(/#task-S5$/);
  await expect(page.locator('[data-gate="S5"]')).toHaveAttribute("data-light", "fail");
  await expect(page.locator('[data-gate="S5"]').getByTestId("gate-checked")).toContainText("Checked");

  // A viewer's phone: both gates, green and red, with their evidence.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${runUrl}/status`);
  await ready(page, info);
  await expect(page.locator('[data-gate="S4"]')).toHaveAttribute("data-light", "pass");
  await expect(page.locator('[data-gate="S5"]')).toHaveAttribute("data-light", "fail");
  await expect(page.locator('[data-gate="F4"]')).toHaveAttribute("data-light", "override");
  await expect(page.locator('[data-gate="S5"]')).toContainText("apart; tolerance 0");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow, "the status page scrolls sideways at 390 px").toBeLessThanOrEqual(0);
  if (hydrated(info)) {
    for (const path of [`${runUrl}/status`, runUrl, `${planUrl}/tasks/S5`]) {
      await page.goto(path);
      await ready(page, info);
      const result = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa"]).analyze();
      const found = result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")}`);
      expect(found, `${path} at 390 px`).toEqual([]);
    }
  }
});

test("after the run: its report and CSV, a second rehearsal compared with it, and the plan takes the durations it showed", async ({ page }, info) => {
  test.setTimeout(120_000);
  const name = `Gates ${info.project.name}`;
  await signIn(page, info, ADMIN);
  await page.goto("/cutover");
  await page.getByTestId("plans-table").getByRole("link", { name }).click();
  await expect(page).toHaveURL(/\/cutover\/plans\/\d+$/);
  const planUrl = page.url();

  // The first rehearsal's report: planned against actual, how each gate
  // was decided, with its evidence, and the whole log.
  await page.getByTestId("plan-runs").locator("li").filter({ hasText: "Rehearsal 1" }).getByRole("link", { name: "Report" }).click();
  await expect(page).toHaveURL(/\/cutover\/runs\/\d+\/report$/);
  const report1 = page.url();
  await expect(page.getByTestId("report-title")).toContainText("Report: Rehearsal 1");
  const facts = page.getByTestId("report-facts");
  await expect(facts).toContainText("Still going on");
  await expect(facts.locator("dt", { hasText: "Gates overridden" }).locator("+ dd")).toHaveText("1");
  await expect(page.locator('tr[data-task="S4"]')).toContainText("Passed by its check");
  await expect(page.locator('tr[data-task="F4"]')).toContainText("Passed by a person's override");
  await expect(page.locator('tr[data-task="F4"]')).toContainText("Reconciled by hand for the rehearsal");
  await expect(page.locator('tr[data-task="S5"]')).toHaveAttribute("data-status", "running");
  await expect(page.getByTestId("report-log")).toContainText("S4 (Record counts match on both sides): passed by its own check");

  // The same as CSV, one row per task.
  const href = await page.getByTestId("report-csv").getAttribute("href");
  const res = await page.request.get(href!);
  expect(res.status()).toBe(200);
  expect(res.headers()["content-disposition"]).toContain(`cutover-run-`);
  const csv = await res.text();
  expect(csv.split("\n")[0]).toBe(
    "ID,Title,Stage,Type,Rollback,Owner,Backup owner,Status,Planned start,Planned end,Planned duration,Actual start,Actual end,Actual duration,Over plan,Started late,Decided,Last comment,Comment by,Comment at",
  );
  expect(csv).toMatch(/\nS4,Record counts match on both sides,Saturday morning: initial sync,Gate,,Integration admin,F&O lead,Passed,[^\n]*,by its check,/);
  expect(csv).toMatch(/\nF4,[^\n]*,by a person's override,Reconciled by hand for the rehearsal,admin@example\.com,/);

  // A second rehearsal, three hours into its freeze: F1 started and done
  // at once takes no time, where the first rehearsal (done without a
  // start) counted its planned 30 minutes.
  await page.goto(planUrl);
  await ready(page, info);
  await page.getByTestId("start-run").locator("summary").click();
  await page.locator('input[name="starts_at"]').fill(hoursAgo(3));
  await page.getByRole("button", { name: "Start run" }).click();
  await expect(page).toHaveURL(/\/cutover\/runs\/\d+$/);
  for (const button of ["Start", "Complete"]) {
    await ready(page, info);
    await page.locator("#task-F1").getByRole("button", { name: button, exact: true }).click();
    await expect(page).toHaveURL(/#task-F1$/);
  }
  await expect(page.locator("#task-F1")).toHaveAttribute("data-status", "done");
  await page.getByTestId("report-link").click();
  await expect(page.getByTestId("report-title")).toContainText("Report: Rehearsal 2");
  await ready(page, info);
  const compare = page.getByTestId("compare-form");
  await compare.locator('select[name="with"]').selectOption({ label: "Rehearsal 1" });
  await compare.getByRole("button", { name: "Compare" }).click();
  await expect(page).toHaveURL(/\/cutover\/runs\/\d+\/compare\?with=\d+$/);
  await expect(page.getByTestId("compare-title")).toHaveText("Rehearsal 1 against Rehearsal 2");
  await expect(page.getByTestId("compare-verdict")).toHaveText(
    "0 tasks took at least 5 min longer in Rehearsal 2 than in Rehearsal 1, 1 task at least 5 min shorter.",
  );
  const first = page.getByTestId("compare-table").locator("tbody tr").first();
  await expect(first).toHaveAttribute("data-task", "F1");
  await expect(first.getByTestId("delta")).toHaveText(/^−(29|30) min$/);
  const compareUrl = page.url();

  // The trend charts shade the rehearsal's freeze, named in the legend.
  await page.goto("/trends");
  await expect(page.getByText(`Cutover freeze: Rehearsal 2 · ${name}`).first()).toBeVisible();

  // The plan takes what the first rehearsal showed: its clicks took a
  // minute where the plan says hours.
  await page.goto(report1);
  await ready(page, info);
  const changes = page.getByTestId("duration-changes");
  await expect(changes.locator("tr", { hasText: "F3" })).toContainText("2 h");
  await expect(changes.locator("tr", { hasText: "F3" })).toContainText("1 min");
  await expect(changes).not.toContainText("S5");
  await page.getByTestId("adopt-durations").click();
  await expect(page).toHaveURL(/\/cutover\/plans\/\d+$/);
  await page.goto(`${planUrl}/history`);
  await expect(page.getByTestId("history-table")).toContainText("Durations from Rehearsal 1: F3 2h → 1m");
  await page.goto(report1);
  await expect(page.getByTestId("no-duration-changes")).toBeVisible();

  // Both pages read on a phone and pass axe-core.
  await page.setViewportSize({ width: 390, height: 844 });
  for (const path of [report1, compareUrl]) {
    await page.goto(path);
    await ready(page, info);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, `${path} scrolls sideways at 390 px`).toBeLessThanOrEqual(0);
    if (hydrated(info)) {
      const result = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa"]).analyze();
      const found = result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")}`);
      expect(found, `${path} at 390 px`).toEqual([]);
    }
  }
});
