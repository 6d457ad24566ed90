// Roles as a user meets them: a viewer reads but cannot write or administer.
import { expect, test } from "@playwright/test";
import { VIEWER, signIn, signOut, openNavGroup } from "./helpers";

test("a viewer sees no admin areas and is refused on the admin pages", async ({ page }, info) => {
  await signIn(page, info, VIEWER);
  await expect(page.getByTestId("signed-in-as")).toContainText("viewer");
  await expect(page.getByRole("link", { name: "Users" })).toHaveCount(0);
  await expect(page.getByRole("link", { name: "API tokens" })).toHaveCount(0);
  await openNavGroup(page);
  await expect(page.getByRole("link", { name: "Audit log", exact: true })).toBeVisible();

  await page.goto("/admin/users");
  await expect(page.getByRole("alert")).toContainText("Your role (viewer) does not allow you to manage users.");
  await page.goto("/admin/tokens");
  await expect(page.getByRole("alert")).toContainText("Your role (viewer) does not allow you to manage API tokens.");
});

test("a viewer's forged write is refused by the server with 403", async ({ page }, info) => {
  await signIn(page, info, VIEWER);
  const base = info.project.use.baseURL!;
  const res = await page.request.post("/sfn/add_user", {
    form: { email: "mallory@example.com", role: "admin", password: "long enough password" },
    headers: { Origin: base },
  });
  expect(res.status()).toBe(403);
  expect(await res.json()).toEqual({ Forbidden: { role: "viewer", action: "add users" } });
});

test("signing out ends the session", async ({ page }, info) => {
  await signIn(page, info, VIEWER);
  await signOut(page, info);
  await page.goto("/");
  await expect(page).toHaveURL(/\/login/);
});
