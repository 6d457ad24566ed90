// Text that people save into a <textarea> comes back as the same text and
// never as markup: a saved note that closes the textarea and opens a form
// (the hostile probe's editor-to-admin hole) must stay inert for whoever
// opens the edit form next. Runs hydrated and with JavaScript off.
import { expect, test, Page } from "@playwright/test";
import { ADMIN, EDITOR, ready, signIn } from "./helpers";

const PAYLOAD =
  '</textarea></label></form><form method=post action=/sfn/add_user data-testid=injected>' +
  '<input name=email value=evil@example.com><input name=role value=admin><button>Save notes</button></form>' +
  '<meta http-equiv=refresh content="0;url=/sfn/add_user"> &amp; & <b>bold</b>';

/** No element the payload would have created exists on the page. */
async function nothingInjected(page: Page) {
  await expect(page.locator('[data-testid="injected"]')).toHaveCount(0);
  await expect(page.locator('form[action="/sfn/add_user"]')).toHaveCount(0);
  await expect(page.locator('meta[http-equiv="refresh"]')).toHaveCount(0);
}

test("map notes with markup come back verbatim in the edit form", async ({ page }, info) => {
  await signIn(page, info, EDITOR);
  await page.goto("/maps");
  await page.getByTestId("maps-table").getByRole("link", { name: "Customers V3", exact: true }).click();
  await page.getByRole("link", { name: "Edit", exact: true }).click();
  await ready(page, info);
  let form = page.getByTestId("map-form");
  await form.locator('textarea[name="form[notes]"]').fill(PAYLOAD);
  await form.locator('input[name="comment"]').fill("probe");
  await form.getByRole("button", { name: "Save" }).click();
  await expect(page.getByTestId("map-doc")).toBeVisible();
  await nothingInjected(page);

  await page.getByRole("link", { name: "Edit", exact: true }).click();
  await ready(page, info);
  form = page.getByTestId("map-form");
  await expect(form.locator('textarea[name="form[notes]"]')).toHaveValue(PAYLOAD);
  await nothingInjected(page);
  // A direct load (server-rendered) says the same as the navigation.
  await page.reload();
  await ready(page, info);
  await expect(page.getByTestId("map-form").locator('textarea[name="form[notes]"]')).toHaveValue(PAYLOAD);
  await nothingInjected(page);
});

test("a field's value map with markup comes back verbatim in its edit form", async ({ page }, info) => {
  await signIn(page, info, EDITOR);
  await page.goto("/maps");
  await page.getByTestId("maps-table").getByRole("link", { name: "Customers V3", exact: true }).click();
  await page.locator("details", { has: page.locator("summary", { hasText: "Add a field mapping" }) }).evaluate((d) => {
    (d as HTMLDetailsElement).open = true;
  });
  const field = page.getByTestId("field-form");
  const column = `probe_${info.project.name}`;
  const valueMap = `Yes = </textarea></form><form method=post action=/sfn/add_user data-testid=injected><button>x</button>`;
  await field.locator('input[name="field[fo_field]"]').fill("ProbeField");
  await field.locator('input[name="field[dataverse_column]"]').fill(column);
  await field.locator('select[name="field[value_type]"]').selectOption("enum");
  await field.locator('select[name="field[transform]"]').selectOption("value_map");
  await field.locator('textarea[name="field[value_map]"]').fill(valueMap);
  await field.getByRole("button", { name: "Add field mapping" }).click();
  await expect(page.getByTestId("fields-table")).toContainText(column);
  await nothingInjected(page);

  await page.getByRole("link", { name: `Edit ProbeField ↔ ${column}` }).click();
  await ready(page, info);
  await expect(page.locator('textarea[name="field[value_map]"]')).toHaveValue(
    "Yes = </textarea></form><form method=post action=/sfn/add_user data-testid=injected><button>x</button>",
  );
  await nothingInjected(page);
});

test("a review note with markup stays text for the admin who opens it next", async ({ page }, info) => {
  // The editor saves the note ...
  await signIn(page, info, EDITOR);
  await page.goto("/review?env=UAT");
  await ready(page, info);
  const form = page.getByTestId("review-note-form");
  await form.locator('textarea[name="body"]').fill(PAYLOAD);
  await form.getByRole("button", { name: "Save notes" }).click();
  await expect(page.getByRole("status")).toHaveText("Notes saved.");

  // ... and the admin opens the review: one note form, the text verbatim.
  await page.context().clearCookies();
  await signIn(page, info, ADMIN);
  await page.goto("/review?env=UAT");
  await ready(page, info);
  await expect(page.getByTestId("review-note-form").locator('textarea[name="body"]')).toHaveValue(PAYLOAD);
  await nothingInjected(page);
  await expect(page.getByRole("button", { name: "Save notes" })).toHaveCount(1);
});
