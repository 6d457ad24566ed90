// Browser tests: Playwright driving Debian's Chromium (/usr/bin/chromium),
// never a downloaded browser. Every suite runs twice against its own fresh
// server and database: once hydrated (JavaScript on) and once with
// JavaScript off, which proves the forms work without WebAssembly.
import { defineConfig } from "@playwright/test";
import { serverLog } from "./server-logs";

// `make e2e` sets these; the defaults suit a plain `npx playwright test`
// after `make build-debug`.
const bin = process.env.DWCONSOLE_BIN ?? "../target/debug/dwconsole";
const siteRoot = process.env.DWCONSOLE_SITE_ROOT ?? "../target/site-debug";
const dataDir = process.env.DWCONSOLE_E2E_DIR ?? "../target/e2e";

function server(port: number, name: string, demo = false) {
  const db = `${dataDir}/${name}.db`;
  const log = serverLog(name);
  const mode = demo ? "--demo" : "--no-demo";
  // The server's log goes to the run's output and to a file, which the
  // teardown reads: a panic on the server fails the run even when the page
  // a test saw looked right.
  const serve = `${bin} serve --bind 127.0.0.1:${port} --database ${db} --site-root ${siteRoot} ${mode}`;
  return {
    command: `mkdir -p ${dataDir} && rm -f ${db} ${db}-wal ${db}-shm ${log} && exec bash -c 'exec ${serve} 2> >(tee -a ${log} >&2)'`,
    url: `http://127.0.0.1:${port}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: "ignore" as const,
    stderr: "pipe" as const,
  };
}

export default defineConfig({
  testDir: "./tests",
  globalTeardown: "./server-logs",
  // The suites build on each other (first-run setup, then users, ...), so
  // they run in file order, one at a time.
  fullyParallel: false,
  workers: 1,
  retries: 0,
  // The list, then one line per failure (see failure-summary.ts).
  reporter: [["list"], ["./failure-summary.ts"]],
  timeout: 30_000,
  use: {
    launchOptions: {
      executablePath: "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  // The first two start empty, as a real deployment with a connection
  // would; the third runs demo mode, as `make run` does on a fresh clone,
  // and serves the reconciliation suites (they need a connection) with
  // JavaScript on and then off.
  webServer: [server(3201, "hydrated"), server(3202, "nojs"), server(3203, "demo", true)],
  projects: [
    {
      name: "hydrated",
      testIgnore: /(demo|reconcile|trends|alerts)\.spec/,
      use: { baseURL: "http://127.0.0.1:3201", javaScriptEnabled: true },
    },
    {
      name: "nojs",
      testIgnore: /(demo|reconcile|trends|alerts)\.spec/,
      use: { baseURL: "http://127.0.0.1:3202", javaScriptEnabled: false },
    },
    {
      name: "demo",
      testMatch: /(demo|reconcile|trends|alerts)\.spec/,
      use: { baseURL: "http://127.0.0.1:3203", javaScriptEnabled: true },
    },
    {
      name: "demo-nojs",
      testMatch: /(reconcile|trends|alerts|cutover-gates-demo|every-page-demo)\.spec/,
      use: { baseURL: "http://127.0.0.1:3203", javaScriptEnabled: false },
    },
  ],
});
