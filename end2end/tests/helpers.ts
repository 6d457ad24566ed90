// Shared accounts and steps for the browser suites.
import { expect, Page, TestInfo } from "@playwright/test";

export const ADMIN = { email: "admin@example.com", password: "correct horse battery staple" };
export const EDITOR = { email: "editor@example.com", password: "editor password 42" };
export const VIEWER = { email: "viewer@example.com", password: "viewer password 42" };

/** True in the projects that run with JavaScript (and so hydration) on. */
export function hydrated(info: TestInfo): boolean {
  return info.project.use.javaScriptEnabled === true;
}

/** With JavaScript on, waits until the page has hydrated, so clicks reach
 *  the WebAssembly handlers rather than the bare HTML. */
export async function ready(page: Page, info: TestInfo) {
  if (hydrated(info)) {
    await page.locator('[data-hydrated="true"]').first().waitFor({ state: "attached" });
  }
}

/** Signs in through the form and waits for the overview. */
export async function signIn(page: Page, info: TestInfo, user: { email: string; password: string }) {
  await page.goto("/login");
  await ready(page, info);
  await page.locator('input[name="email"]').fill(user.email);
  await page.locator('input[name="password"]').fill(user.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("signed-in-as")).toContainText(user.email);
  await ready(page, info);
}

/** `datetime-local` value of a time `hours` ago, for an environment on UTC. */
export function hoursAgo(hours: number): string {
  return new Date(Date.now() - hours * 3_600_000).toISOString().slice(0, 16);
}

/** Signs out through the header button and waits for the sign-in page. */
export async function signOut(page: Page, info: TestInfo) {
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login/);
  await ready(page, info);
}

/** Reloads /alerts until `n` alerts fire (evaluation runs every minute). */
export async function firing(page: Page, n: number) {
  await expect(async () => {
    await page.goto("/alerts");
    await expect(page.locator('[data-testid="active-alert"][data-state="firing"]')).not.toHaveCount(0, { timeout: 1_000 });
    expect(await page.locator('[data-testid="active-alert"][data-state="firing"]').count()).toBeGreaterThanOrEqual(n);
  }).toPass({ timeout: 150_000, intervals: [5_000] });
}

/** Opens the header's "Admin" (or "More") entry, where the console's own
 *  pages (collectors, audit log, environments, users, tokens) are listed. */
export async function openNavGroup(page: Page) {
  const group = page.locator(".nav-group");
  if (!(await group.evaluate((e) => (e as HTMLDetailsElement).open))) {
    await group.locator("summary").click();
  }
}
