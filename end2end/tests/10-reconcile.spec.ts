// Reconciliation on the demo's drifting map, as an admin does it: run a
// full diff, watch it finish, read the differences side by side, explain
// one; with JavaScript off, run a sample through the plain form, open an
// older run and save the schedule.
import { expect, Page, test } from "@playwright/test";
import { ADMIN, hydrated, signIn } from "./helpers";

async function openReconciliation(page: Page) {
  await page.getByRole("link", { name: "Table maps" }).click();
  await page.getByTestId("maps-table").getByRole("link", { name: "Customers V3" }).click();
  await page.getByTestId("reconcile-latest").getByRole("link", { name: "Reconciliation runs and differences" }).click();
  await expect(page).toHaveURL(/\/maps\/\d+\/reconcile/);
}

/** Reloads until no run is going (the page refreshes itself when hydrated). */
async function waitUntilDone(page: Page) {
  await expect(async () => {
    await page.reload();
    await expect(page.getByTestId("reconcile-progress")).toHaveCount(0, { timeout: 1_000 });
  }).toPass({ timeout: 60_000 });
}

test("an admin runs a full diff, reads the differences and explains one", async ({ page }, info) => {
  test.setTimeout(120_000);
  await signIn(page, info, ADMIN);
  await openReconciliation(page);
  // The schedule's daily sample may still be going after start-up.
  await waitUntilDone(page);

  if (hydrated(info)) {
    await page.getByRole("button", { name: "Run a full diff now" }).click();
    // It shows its progress, then its result, without a reload.
    await expect(page.getByTestId("reconcile-summary")).toContainText("Full diff · done", { timeout: 60_000 });
    const differences = page.getByTestId("differences-table");
    await expect(differences).toContainText("Missing in Dataverse");
    await expect(differences).toContainText("OrganizationName ↔ name");
    await expect(differences).toContainText("OnHoldStatus ↔ msdyn_onholdstatus");
    await expect(differences).toContainText("(edited in Dataverse)");
    // Representation is not drift: no money or time-zone differences.
    await expect(differences).not.toContainText("CreditLimit");
    await expect(differences).not.toContainText("CreditReviewDateTime");
    await expect(page.getByTestId("drift-rate")).toContainText("%");

    const form = page.getByTestId("explain-form").first();
    await form.locator('input[name="explanation"]').fill("Kept apart on purpose while the credit team reviews it");
    await form.getByRole("button", { name: "Explain" }).click();
    await expect(page.getByTestId("explanation").first()).toContainText("Kept apart on purpose");
    await expect(page.getByTestId("explanation").first()).toContainText(ADMIN.email);
  } else {
    await page.getByRole("button", { name: /Run a sample now/ }).click();
    await expect(page).toHaveURL(/reconcile\?run=\d+/);
    await waitUntilDone(page);
    await expect(page.getByTestId("reconcile-summary")).toContainText("Sample of 100 per side · done");
    // Several finished runs: the drift-rate trend is drawn.
    await expect(page.getByTestId("drift-trend").locator("svg")).toHaveAttribute("aria-label", /Drift rate of the last \d+ runs/);

    // The full diff from before is one click away, with its explanation.
    const full = page.getByTestId("runs-table").locator("tbody tr", { hasText: "Full diff" }).first();
    await full.getByRole("link", { name: "Open" }).click();
    await expect(page.getByTestId("reconcile-summary")).toContainText("Full diff");
    await expect(page.getByTestId("explanation").first()).toContainText("Kept apart on purpose");
    const form = page.getByTestId("explain-form").first();
    await form.locator('input[name="explanation"]').fill("Known: the customer was merged in Dataverse");
    await form.getByRole("button", { name: "Explain" }).click();
    await expect(page.getByText("Known: the customer was merged in Dataverse")).toBeVisible();

    const settings = page.getByTestId("reconcile-settings");
    await settings.locator('input[name="sample_size"]').fill("250");
    await settings.locator('input[name="full_every_days"]').fill("7");
    await settings.getByRole("button", { name: "Save schedule" }).click();
    await expect(page.getByRole("button", { name: "Run a sample now (250 per side)" })).toBeVisible();
  }
});
