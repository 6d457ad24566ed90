// Controls that exist only once the page is hydrated (JavaScript on).
import { expect, test } from "@playwright/test";
import { ADMIN, hydrated, ready, signIn } from "./helpers";

test("on a phone the navigation folds into a menu, with or without JavaScript", async ({ page }, info) => {
  await page.setViewportSize({ width: 390, height: 800 });
  await signIn(page, info, ADMIN);
  const links = page.locator("#main-nav");
  const menu = page.locator("summary.menu-toggle");
  await expect(links).toBeHidden();
  await menu.click();
  await expect(links).toBeVisible();
  // The console's own pages sit under one entry.
  await page.locator(".nav-group > summary").click();
  await expect(page.getByRole("link", { name: "Audit log", exact: true })).toBeVisible();
  const box = await page.getByRole("link", { name: "Audit log", exact: true }).boundingBox();
  expect(box!.height).toBeGreaterThanOrEqual(44);
  await menu.click();
  await expect(links).toBeHidden();
});

test("at 1280 px the header keeps to one line and the admin pages drop down", async ({ page }, info) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await signIn(page, info, ADMIN);
  await expect(page.locator("summary.menu-toggle")).toBeHidden();
  await expect(page.getByRole("link", { name: "Error queue", exact: true })).toBeVisible();
  const brand = await page.locator(".topbar .brand").boundingBox();
  const signOut = await page.getByRole("button", { name: "Sign out" }).boundingBox();
  // One line: the last item of the header sits level with the first.
  expect(Math.abs(signOut!.y + signOut!.height / 2 - (brand!.y + brand!.height / 2))).toBeLessThan(12);
  await expect(page.getByRole("link", { name: "Users", exact: true })).toBeHidden();
  await page.locator(".nav-group > summary", { hasText: "Admin" }).click();
  await page.getByRole("link", { name: "Users", exact: true }).click();
  await expect(page).toHaveURL(/\/admin\/users/);
});

test("the admin dropdown closes from its summary, and once hydrated on a click outside or Escape", async ({ page }, info) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await signIn(page, info, ADMIN);
  const summary = page.locator(".nav-group > summary", { hasText: "Admin" });
  const users = page.getByRole("link", { name: "Users", exact: true });
  await summary.click();
  await expect(users).toBeVisible();
  await summary.click();
  await expect(users).toBeHidden();
  if (!hydrated(info)) return;
  await summary.click();
  await expect(users).toBeVisible();
  await page.locator("main h1").click();
  await expect(users).toBeHidden();
  await summary.click();
  await expect(users).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(users).toBeHidden();
  await expect(summary).toBeFocused();
  // A click inside it still reaches its links.
  await summary.click();
  await users.click();
  await expect(page).toHaveURL(/\/admin\/users/);
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
