// First run: an empty console asks for the first admin; no default password.
import { expect, test } from "@playwright/test";
import { ADMIN, ready } from "./helpers";

test("an empty console sends every visitor to create the first admin", async ({ page }, info) => {
  await page.goto("/audit");
  await expect(page).toHaveURL(/\/setup$/);
  await ready(page, info);
  await expect(page.getByRole("heading", { name: "Create the first admin" })).toBeVisible();
});

test("mismatched passwords are refused with a clear message, then setup signs the admin in", async ({ page }, info) => {
  await page.goto("/setup");
  await ready(page, info);
  await page.locator('input[name="email"]').fill(ADMIN.email);
  await page.locator('input[name="password"]').fill(ADMIN.password);
  await page.locator('input[name="confirm"]').fill("a different password");
  await page.getByRole("button", { name: "Create admin and sign in" }).click();
  await expect(page.getByRole("alert")).toContainText("The two passwords do not match.");
  await ready(page, info);

  await page.locator('input[name="email"]').fill(ADMIN.email);
  await page.locator('input[name="password"]').fill(ADMIN.password);
  await page.locator('input[name="confirm"]').fill(ADMIN.password);
  await page.getByRole("button", { name: "Create admin and sign in" }).click();

  await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();
  const who = page.getByTestId("signed-in-as");
  await expect(who).toContainText(ADMIN.email);
  await expect(who).toContainText("admin");
});

test("once an admin exists, the setup page is closed", async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto("/setup");
  await expect(page).toHaveURL(/\/login$/);
  await context.close();
});
