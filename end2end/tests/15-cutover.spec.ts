// Cutover plans as the project team uses them: an editor creates the
// runbook weekend from the template, reads its schedule and critical path,
// makes the initial sync longer and sees live sync miss its fixed start,
// is refused a circle of predecessors, and compares revisions in the
// history; a viewer reads the plan but gets no edit links. Runs hydrated
// and with JavaScript off (every form is a plain post).
import { expect, test } from "@playwright/test";
import { EDITOR, VIEWER, ready, signIn } from "./helpers";

test("an editor plans the weekend from the template and the schedule follows each change", async ({ page }, info) => {
  await signIn(page, info, EDITOR);
  await page.getByRole("link", { name: "Cutover" }).click();
  await expect(page).toHaveURL(/\/cutover/);
  await ready(page, info);
  const form = page.getByTestId("new-plan-form");
  await form.locator('input[name="name"]').fill("Go-live weekend");
  await form.locator('input[name="friday"]').fill("2026-12-04");
  await form.getByRole("button", { name: "Create plan" }).click();

  await expect(page).toHaveURL(/\/cutover\/plans\/\d+$/);
  const planUrl = page.url();
  await expect(page.getByTestId("plan-name")).toHaveText("Go-live weekend");
  await expect(page.getByTestId("plan-facts")).toContainText("Fri 4 Dec 18:00 → Mon 7 Dec 08:00");
  await expect(page.getByTestId("planned-end")).toHaveText("Mon 7 Dec 08:00");
  await expect(page.getByTestId("plan-margin")).toHaveText("ends at the deadline");
  await expect(page.getByTestId("critical-path")).toContainText("U2");
  await expect(page.getByTestId("rollback-words")).toContainText(
    "Rolling back from the point of no return (Sat 5 Dec 16:15) takes 6 h 30 min",
  );
  await expect(page.getByTestId("plan-warnings")).toHaveCount(0);
  await expect(page.getByTestId("stage-tasks")).toHaveCount(5);
  await expect(page.getByTestId("rollback-tasks").getByTestId("plan-task")).toHaveCount(4);

  // The initial sync takes 6 hours: live sync cannot start at 14:00.
  await ready(page, info);
  await page.getByRole("link", { name: "Run the initial sync" }).click();
  await expect(page.getByTestId("task-form")).toBeVisible();
  await ready(page, info);
  await expect(page.locator('input[name="form[duration]"]')).toHaveValue("3h");
  await page.locator('input[name="form[duration]"]').fill("6h");
  await page.locator('input[name="form[comment]"]').fill("Measured in the first rehearsal");
  await page.getByRole("button", { name: "Save task" }).click();
  await expect(page).toHaveURL(/\/cutover\/plans\/\d+#task-S2$/);
  await expect(page.getByTestId("plan-warnings")).toContainText(
    "D1 (Turn on live (delta) sync) is fixed to start Sat 5 Dec 14:00 but its predecessors end 2 h 30 min later.",
  );
  await expect(page.locator("#task-D1")).toContainText("2 h 30 min late");

  // A circle of predecessors is refused, naming every task in it.
  await ready(page, info);
  await page.getByRole("link", { name: "Stop writes in Finance & Operations" }).click();
  await ready(page, info);
  await page.locator('input[name="form[predecessors]"]').fill("F5");
  await page.getByRole("button", { name: "Save task" }).click();
  await expect(page.getByRole("alert")).toContainText(
    "The predecessors go round in a circle: F1 (Stop writes in Finance & Operations) → F3 (Take the final snapshot of both sides) → F4",
  );

  // The history compares revisions task by task.
  await page.goto(planUrl);
  await ready(page, info);
  await page.getByRole("link", { name: "History" }).click();
  await ready(page, info);
  await expect(page.getByTestId("history-table").locator("tbody tr")).toHaveCount(2);
  await page.getByRole("button", { name: "Compare selected revisions" }).click();
  await expect(page.getByTestId("plan-changes")).toHaveText('S2 (Run the initial sync): duration "3 h" → "6 h".');
});

test("a viewer reads the plan and its schedule but gets no way to change it", async ({ page }, info) => {
  await signIn(page, info, VIEWER);
  await page.getByRole("link", { name: "Cutover" }).click();
  await expect(page.getByTestId("plans-table")).toContainText("Go-live weekend");
  await expect(page.getByTestId("new-plan-form")).toHaveCount(0);
  await page.getByTestId("plans-table").getByRole("link", { name: "Go-live weekend" }).click();
  await expect(page.getByTestId("planned-end")).toHaveText("Mon 7 Dec 08:00");
  await expect(page.getByRole("link", { name: "Add a task" })).toHaveCount(0);
  await expect(page.getByRole("link", { name: "Run the initial sync" })).toHaveCount(0);
  await expect(page.getByRole("link", { name: "Export CSV" })).toBeVisible();
});
