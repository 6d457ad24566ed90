// The error queue as its users work it: a collector pushes a batch through
// the ingest API with a token; an editor sees the groups, filters by
// category, acknowledges with a comment (the audit log shows it), opens a
// group, and imports a CSV where one bad row stops the whole file.
import { expect, test } from "@playwright/test";
import { ADMIN, EDITOR, ready, signIn, openNavGroup } from "./helpers";

let secret = "";

function minutesAgo(m: number): string {
  return new Date(Date.now() - m * 60_000).toISOString();
}

test("an admin creates a collector token and a batch arrives through the API", async ({ page, request }, info) => {
  await signIn(page, info, ADMIN);
  await openNavGroup(page);
  await page.getByRole("link", { name: "API tokens" }).click();
  await ready(page, info);
  await page.locator('input[name="name"]').fill("e2e error collector");
  await page.getByRole("button", { name: "Create token" }).click();
  secret = (await page.getByTestId("new-token").textContent()) ?? "";
  expect(secret).toMatch(/^dwc_/);

  const lookup = "Couldn't resolve the guid for the field: primarycontactid.msdyn_contactpersonid. The lookup was not found: ";
  // A script's request: the token, no browser cookies.
  const res = await request.post("/api/v1/errors", {
    headers: { Authorization: `Bearer ${secret}` },
    data: {
      environment: "UAT",
      entries: [
        { id: "e2e-1", occurred_at: minutesAgo(30), map: "Customers V3", direction: "fo_to_dataverse", record_key: "US-001", legal_entity: "USMF", message: lookup + "000056." },
        { id: "e2e-2", occurred_at: minutesAgo(20), map: "Customers V3", direction: "fo_to_dataverse", record_key: "US-002", legal_entity: "USMF", message: lookup + "000123.", detail: { executionStatus: "Failed", recordResponses: [{ errorMessage: "lookup" }] } },
        { id: "e2e-3", occurred_at: minutesAgo(10), message: "Response status code does not indicate success: 403 (tokenexchange)." },
        { id: "e2e-4", occurred_at: minutesAgo(5), map: "Customers V3", message: "Combined execution time of incoming requests exceeded limit of 1,200,000 milliseconds over time window of 300 seconds." },
      ],
    },
  });
  expect(res.status()).toBe(200);
  const body = await res.json();
  expect(body.accepted).toBe(4);
  expect(body.items.map((i: { category: string }) => i.category)).toEqual([
    "dependency_order", "dependency_order", "authentication_permission", "throttling_timeout",
  ]);

  // A retry of the same batch stores nothing twice.
  const again = await request.post("/api/v1/errors", {
    headers: { Authorization: `Bearer ${secret}` },
    data: { environment: "UAT", entries: [{ id: "e2e-1", occurred_at: minutesAgo(30), message: "x" }] },
  });
  expect((await again.json()).items[0].duplicate).toBe(true);
});

test("an editor filters by category and acknowledges with a comment; the audit log shows it", async ({ page }, info) => {
  await signIn(page, info, EDITOR);
  await page.getByRole("link", { name: "Error queue" }).click();
  await expect(page.getByTestId("groups-table").locator("tbody tr")).toHaveCount(3);
  await expect(page.getByTestId("sweep")).toContainText("4 entries");
  await expect(page.getByTestId("sweep")).toContainText("Customers V3 3");

  await ready(page, info);
  const filters = page.getByTestId("error-filters");
  await filters.locator('select[name="category"]').selectOption("dependency_order");
  await filters.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/category=dependency_order/);
  const rows = page.getByTestId("groups-table").locator("tbody tr");
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText("Dependency order");
  await expect(rows.first()).toContainText("2");

  await ready(page, info);
  await rows.first().getByRole("checkbox").check();
  const triage = page.getByTestId("triage-form");
  await triage.locator('select[name="state"]').selectOption("acknowledged");
  await triage.locator('input[name="comment"]').fill("Contacts must load before customers");
  await triage.getByRole("button", { name: "Apply" }).click();
  await expect(page.getByTestId("groups-table").locator("tbody tr").first()).toContainText("Acknowledged");
  await expect(page).toHaveURL(/category=dependency_order/);

  await openNavGroup(page);
  await page.getByRole("link", { name: "Audit log", exact: true }).click();
  await expect(page.locator("body")).toContainText("Set 1 error group to acknowledged: Contacts must load before customers");
});

test("a group shows its entries with the raw detail and links to the map's rule book", async ({ page }, info) => {
  await signIn(page, info, EDITOR);
  await page.goto("/errors?category=dependency_order");
  await ready(page, info);
  await page.getByTestId("groups-table").getByRole("link", { name: /Couldn't resolve the guid/ }).click();
  const doc = page.getByTestId("group-doc");
  await expect(doc).toContainText("rule: lookup not resolved (dependency order)");
  await expect(page.getByTestId("entries-table").locator("tbody tr")).toHaveCount(2);
  await expect(page.getByTestId("entries-table")).toContainText("US-002");
  await expect(page.getByTestId("entries-table").locator("pre")).toContainText('"executionStatus": "Failed"');
  await doc.getByRole("link", { name: "Customers V3 (rule book)" }).click();
  await expect(page.getByTestId("map-doc")).toBeVisible();
});

test("a CSV with one bad row reports the row and imports nothing", async ({ page }, info) => {
  await signIn(page, info, EDITOR);
  await page.goto("/errors");
  await ready(page, info);
  await page.getByRole("link", { name: "Import CSV" }).click();
  await ready(page, info);
  const form = page.getByTestId("errors-import-form");
  const now = new Date().toISOString();
  await form.locator('textarea[name="csv"]').fill(
    `Created On,Project name,Error message\n${now},Customers V3,Integration keys are missing\n${now},Vendors V9,Missing source schema\n`,
  );
  await form.getByRole("button", { name: "Import errors" }).click();
  await expect(page.getByRole("alert")).toContainText("nothing was imported");
  await expect(page.getByRole("alert")).toContainText("Row 3: map 'Vendors V9' is not a table map of this environment");

  await page.goto("/errors?state=all");
  await expect(page.getByTestId("groups-table").locator("tbody tr")).toHaveCount(3);

  await page.goto("/errors/import?env=UAT");
  await ready(page, info);
  await page.getByTestId("errors-import-form").locator('textarea[name="csv"]').fill(
    `Created On,Project name,Error message\n${now},Customers V3,Integration keys are missing\n${now},Customers V3,Missing source schema\n`,
  );
  await page.getByTestId("errors-import-form").getByRole("button", { name: "Import errors" }).click();
  await expect(page.getByTestId("import-result")).toContainText("Imported 2 entries");
  await page.goto("/errors?category=missing_field_mapping");
  await expect(page.getByTestId("groups-table").locator("tbody tr")).toHaveCount(2);
});

test("an editor's category is learned, listed on the classifier page and forgotten", async ({ page }, info) => {
  await signIn(page, info, EDITOR);
  await page.goto("/errors?state=all");
  await ready(page, info);
  await page.getByTestId("groups-table").getByRole("link", { name: /Combined execution time/ }).click();
  await ready(page, info);
  const form = page.getByTestId("group-category");
  await expect(form).toContainText("New groups with the same message");
  await form.locator('select[name="category"]').selectOption("plugin_throw");
  await form.locator('input[name="comment"]').fill("our batch plug-in");
  await form.getByRole("button", { name: "Set category" }).click();
  await expect(page.getByTestId("group-doc")).toContainText("Plug-in threw");

  await page.goto("/errors?env=UAT");
  await ready(page, info);
  await page.getByRole("link", { name: "Classifier" }).click();
  await ready(page, info);
  const lessons = page.getByTestId("lessons-table");
  await expect(lessons).toContainText("Combined execution time");
  await expect(lessons).toContainText("Plug-in threw");
  await expect(lessons).toContainText("editor@example.com");
  await expect(page.getByText("Only admins re-classify.")).toBeVisible();
  await lessons.getByRole("button", { name: /Forget/ }).click();
  await expect(page.getByTestId("no-lessons")).toBeVisible();
});

test("an admin re-classifies the queue and sees what moved", async ({ page }, info) => {
  await signIn(page, info, ADMIN);
  await page.goto("/errors/classifier?env=UAT");
  await ready(page, info);
  await page.getByTestId("reclassify-form").getByRole("button", { name: "Re-classify every group in UAT" }).click();
  await expect(page.getByTestId("last-reclassify")).toContainText(/Re-classified \d+ error groups: 0 moved/);
  await openNavGroup(page);
  await page.getByRole("link", { name: "Audit log", exact: true }).click();
  await expect(page.locator("body")).toContainText("Re-classified");
});
