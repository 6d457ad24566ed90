// The rule book's table maps, as the project team uses them: an admin adds
// an environment; an editor applies the starter set, edits a map, sees the
// guidance warning, compares revisions and restores one; a viewer reads only.
import { expect, test } from "@playwright/test";
import { Page } from "@playwright/test";
import { ADMIN, EDITOR, VIEWER, signIn, openNavGroup } from "./helpers";

/** Opens a <details> section by its summary text (clicking would toggle it,
 *  and a hydrated re-render may already have it open). */
async function open(page: Page, summary: string) {
  await page.locator("details", { has: page.locator("summary", { hasText: summary }) }).evaluate((d) => {
    (d as HTMLDetailsElement).open = true;
  });
}

test("an admin adds environments, and a bad URL is refused naming the field", async ({ page }, info) => {
  await signIn(page, info, ADMIN);
  await openNavGroup(page);
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
  await expect(page.getByTestId("map-warnings")).not.toContainText("500,000");
});

test("an editor records the default rule, maps a field and is warned about last write wins", async ({ page }, info) => {
  await signIn(page, info, EDITOR);
  await page.goto("/maps");
  await page.getByTestId("maps-table").getByRole("link", { name: "Customers V3" }).click();
  const warnings = page.getByTestId("map-warnings");
  await expect(warnings).toContainText("no accepted default conflict rule");

  // The map's default rule, accepted, with a Markdown rationale.
  await open(page, "Record a conflict rule");
  let form = page.getByTestId("rule-form");
  await form.locator('select[name="winner"]').selectOption("fo");
  await form.locator('select[name="enforced_by"]').selectOption("initial_sync_master");
  await form.locator('select[name="status"]').selectOption("accepted");
  await form.locator('textarea[name="rationale"]').fill("Customers are **credit-checked** in F&O first.");
  await form.getByRole("button", { name: "Record rule" }).click();
  const rules = page.getByTestId("rules");
  await expect(rules).toContainText("Map default: F&O wins");
  await expect(rules.locator("strong", { hasText: "credit-checked" })).toBeVisible();
  await expect(rules).toContainText("only during initial sync");
  await expect(page.getByTestId("map-warnings")).toHaveCount(0);

  // A field, then a last-write-wins override for it: flagged and warned.
  await open(page, "Add a field mapping");
  const field = page.getByTestId("field-form");
  await field.locator('input[name="field[fo_field]"]').fill("CreditLimit");
  await field.locator('input[name="field[dataverse_column]"]').fill("creditlimit");
  await field.locator('select[name="field[value_type]"]').selectOption("number");
  await field.getByRole("button", { name: "Add field mapping" }).click();
  await expect(page.getByTestId("fields-table")).toContainText("map default: #1 F&O wins");
  // The form is cleared after the save, so a second click adds nothing twice.
  await expect(page.getByTestId("field-form").locator('input[name="field[fo_field]"]')).toHaveValue("");

  await open(page, "Record a conflict rule");
  form = page.getByTestId("rule-form");
  await form.locator('select[name="field"]').selectOption({ label: "CreditLimit ↔ creditlimit" });
  await form.locator('select[name="winner"]').selectOption("last_write");
  await form.locator('select[name="enforced_by"]').selectOption("team_policy");
  await form.locator('textarea[name="rationale"]').fill("Sales and credit both edit limits.");
  await form.getByRole("button", { name: "Record rule" }).click();
  await expect(page.getByTestId("map-warnings")).toContainText("The rule for CreditLimit ↔ creditlimit uses last write wins");
  await expect(rules).toContainText("Dangerous: prefer an explicit owner");
  await expect(rules).toContainText("Team policy, not enforced by dual-write");

  // Supersede the default with the override: links both ways.
  const first = page.locator("#rule-1");
  await first.locator('select[name="status"]').selectOption("superseded");
  await first.locator('input[name="superseded_by"]').fill("#2");
  await first.getByRole("button", { name: "Set status" }).click();
  await expect(page.locator("#rule-1")).toContainText("superseded by #2");
  await expect(page.locator("#rule-2")).toContainText("supersedes #1");
});

test("searching a word from a rationale lands on the rule", async ({ page }, info) => {
  await signIn(page, info, VIEWER);
  await page.goto("/maps");
  await page.getByRole("searchbox", { name: "Search the rule book" }).fill("both edit");
  await page.getByRole("button", { name: "Search", exact: true }).click();
  const hits = page.getByTestId("search-hits");
  await expect(hits.locator("mark", { hasText: "edit" })).toBeVisible();
  await hits.getByRole("link", { name: "Customers V3 · CreditLimit ↔ creditlimit" }).click();
  await expect(page).toHaveURL(/\/maps\/\d+#rule-2$/);
  await expect(page.locator("#rule-2")).toContainText("Sales and credit both edit limits.");
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
  await page.goto("/maps");
  await page.getByTestId("maps-table").getByRole("link", { name: "Customers V3" }).click();
  await expect(page.getByTestId("rules")).toContainText("credit-checked");
  await expect(page.getByTestId("rule-form")).toHaveCount(0);
  await expect(page.getByTestId("field-form")).toHaveCount(0);

  const res = await page.request.post("/sfn/restore_map", {
    form: { map_id: "1", revision: "1" },
    headers: { Origin: info.project.use.baseURL! },
  });
  expect(res.status()).toBe(403);
});

test("the rule book downloads as one Markdown document", async ({ page }, info) => {
  await signIn(page, info, VIEWER);
  await page.goto("/maps");
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: "Export rule book (Markdown)" }).click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/^rule-book-.+\.md$/);
  const text = require("fs").readFileSync(await download.path(), "utf8");
  expect(text).toContain("# Rule book:");
  expect(text).toContain("## Customers V3");
  expect(text).toContain("Sales and credit both edit limits.");
});
