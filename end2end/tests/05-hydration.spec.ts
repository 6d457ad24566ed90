// Controls that exist only once the page is hydrated (JavaScript on).
import { expect, test } from "@playwright/test";
import { ADMIN, hydrated, ready, signIn } from "./helpers";

test("on a phone the navigation folds into a menu button once hydrated", async ({ page }, info) => {
  await page.setViewportSize({ width: 390, height: 800 });
  await signIn(page, info, ADMIN);
  const links = page.locator("#main-nav");
  if (!hydrated(info)) {
    // Without JavaScript the links stay visible, stacked.
    await expect(page.getByRole("button", { name: "Menu" })).toBeHidden();
    await expect(links).toBeVisible();
    return;
  }
  await expect(links).toBeHidden();
  await page.getByRole("button", { name: "Menu" }).click();
  await expect(links).toBeVisible();
  await expect(page.getByRole("link", { name: "Audit log", exact: true })).toBeVisible();
  await page.getByRole("button", { name: "Menu" }).click();
  await expect(links).toBeHidden();
});

test("the sign-in form can reveal the password once hydrated", async ({ page }, info) => {
  await page.goto("/login");
  await ready(page, info);
  const password = page.locator('input[name="password"]');
  await password.fill("secret words here");
  const toggle = page.getByRole("button", { name: "Show" });
  if (!hydrated(info)) {
    await expect(toggle).toHaveCount(0);
    return;
  }
  await expect(password).toHaveAttribute("type", "password");
  await toggle.click();
  await expect(password).toHaveAttribute("type", "text");
  await expect(password).toHaveValue("secret words here");
});
