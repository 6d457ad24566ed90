// A last, short word on a failed browser run: two lines per failed test,
// where its error was raised and the gist of it. The list reporter
// prints each failure in full, but CI keeps only the tail of a run's
// output, and there the full text of the last failure hides the others.
import { readFileSync } from "node:fs";
import type { FullResult, Reporter, TestCase, TestResult } from "@playwright/test/reporter";

// ANSI colour codes, which the list reporter's messages carry.
const ansi = new RegExp(String.fromCharCode(27) + "\\[[0-9;]*m", "g");

/** The error's first line and its expected/received lines, on one line. */
function gist(text: string | undefined): string {
  const lines = (text ?? "").replace(ansi, "").split("\n").map((l) => l.trim()).filter((l) => l !== "");
  const detail = lines.slice(1).filter((l) => /^(Expected|Received|Locator|Timeout)/.test(l)).slice(0, 3);
  return [lines[0] ?? "", ...detail].join(" | ").slice(0, 300);
}

/** The source line an error points at, for the test's own words. */
function sourceLine(file: string, line: number): string {
  try {
    return (readFileSync(file, "utf8").split("\n")[line - 1] ?? "").trim().slice(0, 160);
  } catch {
    return "";
  }
}

export default class FailureSummary implements Reporter {
  private failed: string[] = [];

  onTestEnd(test: TestCase, result: TestResult): void {
    if (result.status === "passed" || result.status === "skipped" || result.status === test.expectedStatus) return;
    const error = result.errors[0];
    const at = error?.location ? `${error.location.file.split("/").pop()}:${error.location.line}` : "";
    const project = test.parent.project()?.name ?? "";
    const title = `[${project}] ${test.location.file.split("/").pop()}:${test.location.line}`;
    const why = (result.status === "timedOut" ? "timed out; " : "") + gist(error?.message);
    const line = error?.location ? sourceLine(error.location.file, error.location.line) : "";
    this.failed.push(`  ${title}${at ? ` at ${at}: ${line}` : ""}\n      ${why}`);
  }

  onEnd(_result: FullResult): void {
    if (this.failed.length === 0) return;
    console.log(`\nfailed, first error each (${this.failed.length}):`);
    for (const line of this.failed) console.log(line);
  }
}
