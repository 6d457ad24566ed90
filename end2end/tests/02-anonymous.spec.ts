// An anonymous visitor reaches nothing but the sign-in page and the health
// endpoints.
import { expect, test } from "@playwright/test";
import { ADMIN, hydrated, ready } from "./helpers";

for (const path of ["/", "/audit", "/admin/users", "/admin/tokens", "/no-such-page"]) {
  test(`an anonymous visit to ${path} lands on the sign-in page`, async ({ page }) => {
    await page.goto(path);
    await expect(page).toHaveURL(/\/login(\?next=.*)?$/);
    await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
    await expect(page.getByText("Audit log")).toHaveCount(0);
  });
}

test("health endpoints answer without signing in", async ({ request }) => {
  expect((await request.get("/healthz")).status()).toBe(200);
  // The only server runs the scheduled work, and says which server it is.
  const body = await (await request.get("/readyz")).json();
  expect(body).toEqual({ status: "ready", server: expect.any(String), scheduled_work: true });
  expect(body.server).toMatch(/:\d+:[0-9a-f]{4}$/);
});

test("a wrong password is refused with a message that does not say which part was wrong", async ({ page }, info) => {
  await page.goto("/login");
  await ready(page, info);
  await page.locator('input[name="email"]').fill(ADMIN.email);
  await page.locator('input[name="password"]').fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toContainText("The email address or password is incorrect.");
  await expect(page).toHaveURL(/\/login/);
  // With JavaScript on, the email address is kept for the next try; a
  // password never is.
  await ready(page, info);
  if (hydrated(info)) {
    await expect(page.locator('input[name="email"]')).toHaveValue(ADMIN.email);
  }
  await expect(page.locator('input[name="password"]')).toHaveValue("");
});

test("after sign-in the visitor goes where they were heading", async ({ page }, info) => {
  await page.goto("/audit");
  await expect(page).toHaveURL(/\/login\?next=\/audit$/);
  await ready(page, info);
  await page.locator('input[name="email"]').fill(ADMIN.email);
  await page.locator('input[name="password"]').fill(ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/audit$/);
  await expect(page.getByRole("heading", { name: "Audit log" })).toBeVisible();
});
