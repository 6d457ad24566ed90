// The browser runs' servers write their log to a file each (see
// playwright.config.ts); after the run this reads them and fails it when a
// server panicked, printing where. A panic can hide behind a page that
// still rendered (a response cut short, a task that died), so the tests'
// own checks do not see it.
import { existsSync, readFileSync } from "node:fs";

const dataDir = process.env.DWCONSOLE_E2E_DIR ?? "../target/e2e";
const servers = ["hydrated", "nojs", "demo"];

/** Where the server named `name` writes its log during the run. */
export function serverLog(name: string): string {
  return `${dataDir}/${name}.log`;
}

/** Global teardown: throws (failing the run) if any server log has a panic. */
export default async function checkServerLogs(): Promise<void> {
  const found: string[] = [];
  for (const name of servers) {
    const path = serverLog(name);
    if (!existsSync(path)) continue;
    const lines = readFileSync(path, "utf8").split("\n");
    lines.forEach((line, i) => {
      if (line.includes("panicked at")) {
        found.push(`${path}:${i + 1}:\n${lines.slice(i, i + 3).join("\n")}`);
      }
    });
  }
  if (found.length > 0) {
    throw new Error(`the server panicked ${found.length} time(s) during the browser tests:\n\n${found.join("\n\n")}`);
  }
}
