// The rule book's table maps, as the project team uses them: an admin adds
// an environment; an editor applies the starter set, edits a map, sees the
// guidance warning, compares revisions and restores one; a viewer reads only.
import { expect, test } from "@playwright/test";
import { ADMIN, EDITOR, VIEWER, signIn } from "./helpers";

test("an admin adds environments, and a bad URL is refused naming the field", async ({ page }, info) => {
  await signIn(page, info, ADMIN);
  await page.getByRole("link", { name: "Environments" }).click();
  const form = page.locator("form.form-card");
  await form.locator('input[name="name"]').fill("UAT");
  await form.locator('input[name="fo_url"]').evaluate((el) => el.setAttribute("type", "text"));
  await form.locator('input[name="fo_url"]').fill("contoso-uat.operations.dynamics.com");
  await form.getByRole("button", { name: "Add environment" }).click();
  await expect(page.getByRole("alert")).toContainText("must start with https://");

  await page.locator("form.form-card").locator('input[name="name"]').fill("UAT");
  await page.locator("form.form-card").locator('input[name="fo_url"]').fill("https://contoso-uat.sandbox.operations.dynamics.com");
  await page.locator("form.form-card").locator('input[name="legal_entities"]').fill("usmf, demf");
  await page.locator("form.form-card").getByRole("button", { name: "Add environment" }).click();
  await expect(page.getByTestId("environments-table")).toContainText("USMF, DEMF");
});

test("an editor applies the starter set, edits a map and sees the volume warning", async ({ page }, info) => {
  await signIn(page, info, EDITOR);
  await page.getByRole("link", { name: "Table maps" }).click();
  await page.getByRole("button", { name: "Apply the starter set" }).click();
  const table = page.getByTestId("maps-table");
  await expect(table).toContainText("Customers V3");
  await expect(table).toContainText("SalesInvoiceHeaderV2Entity");
  await expect(table.locator("tbody tr")).toHaveCount(9);

  await table.getByRole("link", { name: "Customers V3" }).click();
  await expect(page.getByTestId("map-doc")).toContainText("accountnumber, msdyn_company.cdm_companycode");
  await page.getByRole("link", { name: "Edit", exact: true }).click();
  const form = page.getByTestId("map-form");
  await form.locator('input[name="form[expected_records]"]').fill("1,200,000");
  await form.locator('textarea[name="form[notes]"]').fill("Mastered in F&O by the credit team.");
  await form.locator('input[name="comment"]').fill("Volume from the migration team");
  await form.getByRole("button", { name: "Save" }).click();

  const warnings = page.getByTestId("map-warnings");
  await expect(warnings).toContainText("limited to 500,000 rows per legal entity");
  await expect(page.getByTestId("map-doc")).toContainText("1,200,000");
  await expect(page.getByTestId("map-doc")).toContainText("Volume from the migration team");
});

test("an editor compares two revisions and restores the first", async ({ page }, info) => {
  await signIn(page, info, EDITOR);
  await page.goto("/maps");
  await page.getByTestId("maps-table").getByRole("link", { name: "Customers V3" }).click();
  await page.getByRole("link", { name: "Full history and diffs" }).click();
  await expect(page.getByTestId("history-table").locator("tbody tr")).toHaveCount(2);

  await page.getByRole("button", { name: "Compare selected revisions" }).click();
  const diff = page.getByTestId("diff-table");
  await expect(diff).toContainText("Expected records");
  await expect(diff.locator("ins", { hasText: "1200000" })).toBeVisible();
  await expect(diff.locator("ins", { hasText: "credit" })).toBeVisible();

  await page.getByRole("link", { name: "history" }).click();
  await page.getByRole("button", { name: "Restore revision 1" }).click();
  await expect(page.getByTestId("map-doc")).toContainText("revision 3");
  await expect(page.getByTestId("map-doc")).toContainText("not estimated");
  await expect(page.getByTestId("map-warnings")).toHaveCount(0);
});

test("a map that is not synced must say why", async ({ page }, info) => {
  await signIn(page, info, EDITOR);
  await page.goto("/maps");
  await page.getByRole("link", { name: "New map" }).click();
  const form = page.getByTestId("map-form");
  await form.locator('input[name="form[name]"]').fill("Customer groups");
  await form.locator('input[name="form[fo_entity]"]').fill("CustCustomerGroupEntity");
  await form.locator('input[name="form[dataverse_table]"]').fill("msdyn_customergroup");
  await form.locator('select[name="form[direction]"]').selectOption("not_synced");
  await form.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("alert")).toContainText("Say why this map is not synced");
});

test("a viewer reads the rule book but cannot change it", async ({ page }, info) => {
  await signIn(page, info, VIEWER);
  await page.goto("/maps");
  await expect(page.getByTestId("maps-table")).toContainText("Customers V3");
  await expect(page.getByRole("link", { name: "New map" })).toHaveCount(0);
  await page.getByTestId("maps-table").getByRole("link", { name: "Worker" }).click();
  await expect(page.getByTestId("map-doc")).toContainText("Owned by HR in F&O");
  await expect(page.getByRole("link", { name: "Edit", exact: true })).toHaveCount(0);

  const res = await page.request.post("/sfn/restore_map", {
    form: { map_id: "1", revision: "1" },
    headers: { Origin: info.project.use.baseURL! },
  });
  expect(res.status()).toBe(403);
});
