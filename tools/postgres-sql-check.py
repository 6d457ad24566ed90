#!/usr/bin/env python3
"""How far the stores' SQL is from running on PostgreSQL.

Reads every SQL statement written as one string literal in app/src and
server/src (test modules aside), and asks PostgreSQL to prepare each against
the schema of migrations/postgres/: a statement that prepares parses and its
names and types resolve. It prints the counts, then each statement that
failed with PostgreSQL's reason, grouped by reason. Statements assembled at
run time (a literal with {placeholders}, QueryBuilder fragments) are counted
apart: this check cannot see them whole.

Run beside a throwaway cluster:

    tools/with-postgres.sh python3 tools/postgres-sql-check.py

It reads the cluster's URL from DWCONSOLE_TEST_POSTGRES and works in a new
database of its own. Preparing proves less than running: the types a row
decodes into (sum() of a bigint is numeric on PostgreSQL) show only when the
query and HTTP tests run on PostgreSQL.
"""
import collections
import os
import re
import subprocess
import sys

ROOTS = ["app/src", "server/src"]
# Code that already speaks each backend's dialect in its own branch (the
# catalogue queries of migrate-db and the SQLite pool's checks).
DIALECT_AWARE = {"server/src/db.rs", "server/src/migrate_db.rs"}
STATEMENT = re.compile(r"\s*(select|insert|update|delete|with)\s", re.I)


def literals(src):
    """Yields the offset and text of each Rust string literal in `src`."""
    i, n = 0, len(src)
    while i < n:
        if src.startswith("//", i):
            j = src.find("\n", i)
            i = n if j < 0 else j
            continue
        if src.startswith("/*", i):
            i = src.find("*/", i) + 2
            continue
        c = src[i]
        if c == "'":
            m = re.match(r"'(\\.|[^\\'])'|'\\u\{[0-9a-fA-F]+\}'|'\\x[0-9a-fA-F]{2}'", src[i:])
            i += m.end() if m else 1
            continue
        m = re.match(r'b?r(#*)"', src[i:])
        if m and (i == 0 or not (src[i - 1].isalnum() or src[i - 1] == "_")):
            hashes = m.group(1)
            start = i + m.end()
            end = src.find('"' + hashes, start)
            yield i, src[start:end]
            i = end + 1 + len(hashes)
            continue
        if c == '"':
            j = i + 1
            while src[j] != '"':
                j += 2 if src[j] == "\\" else 1
            text = src[i + 1 : j]
            # A line continuation, escaped quotes and newlines.
            text = re.sub(r"\\\n\s*", "", text).replace('\\"', '"').replace("\\n", "\n")
            yield i, text
            i = j + 1
            continue
        i += 1


def looks_like_sql(text):
    """Tells a statement from prose that starts with the same word
    ("Select a plan", "Update the map"): its keyword's partner is there."""
    word = text.split(None, 1)[0].lower()
    partner = {"select": r"\bfrom\b|^\s*select\s+[\w$(]", "insert": r"\binto\b", "update": r"\bset\b",
               "delete": r"\bfrom\b", "with": r"\bas\s*\("}[word]
    return text.split(None, 1)[0].islower() and re.search(partner, text, re.I) is not None


def statements():
    for root in ROOTS:
        for folder, _, files in os.walk(root):
            for name in sorted(files):
                if not name.endswith(".rs"):
                    continue
                path = os.path.join(folder, name)
                if path in DIALECT_AWARE:
                    continue
                src = open(path, encoding="utf-8").read()
                tests = src.find("#[cfg(test)]")
                if tests >= 0:
                    src = src[:tests]
                for start, text in literals(src):
                    # A statement, not prose that starts with "Select" or a
                    # QueryBuilder head ending before its VALUES.
                    if STATEMENT.match(text) and looks_like_sql(text):
                        # The SQLite half of a dialect pair (`const
                        # X_SQLITE`): its `X_POSTGRES` twin is checked.
                        sqlite_half = re.search(r"const \w+_SQLITE: &str =\s*$", src[:start]) is not None
                        yield path, text, sqlite_half


def psql(url, sql):
    run = subprocess.run(
        ["psql", url, "-qAt", "-v", "ON_ERROR_STOP=1", "-c", sql],
        capture_output=True,
        text=True,
    )
    return run.returncode == 0, run.stderr.strip().splitlines()[0] if run.stderr.strip() else ""


def result_types(url, sql):
    """The (name, type) of each column the statement returns, by psql's
    `\\gdesc` (described, not run)."""
    run = subprocess.run(
        ["psql", url, "-qAt", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-f", "-"],
        input=sql + "\n\\gdesc\n",
        capture_output=True,
        text=True,
    )
    if run.returncode != 0:
        return []
    return [tuple(line.split("\t", 1)) for line in run.stdout.splitlines() if "\t" in line]


# Result types no store decodes: rows decode into i64 and f64, which
# PostgreSQL gives for bigint and double precision only. An integer literal
# or a `case` of them is `integer`, a sum of bigints `numeric`.
UNDECODABLE = {"integer", "smallint", "numeric"}


def main():
    admin = os.environ.get("DWCONSOLE_TEST_POSTGRES")
    if not admin:
        sys.exit("DWCONSOLE_TEST_POSTGRES is not set: run under tools/with-postgres.sh")
    name = f"sqlcheck_{os.getpid()}"
    ok, err = psql(admin, f"create database {name}")
    if not ok:
        sys.exit(f"cannot create the database: {err}")
    # The admin URL with the new database's name as its path (a query such
    # as ?host=/tmp/… for a socket stays).
    base, _, query = admin.partition("?")
    url = base.rsplit("/", 1)[0] + "/" + name + ("?" + query if query else "")
    for migration in sorted(os.listdir("migrations/postgres")):
        run = subprocess.run(
            ["psql", url, "-q", "-v", "ON_ERROR_STOP=1", "-f", f"migrations/postgres/{migration}"],
            capture_output=True,
            text=True,
        )
        if run.returncode != 0:
            sys.exit(f"{migration} does not apply: {run.stderr.strip()}")
    counts = collections.Counter()
    failed = collections.defaultdict(list)
    for n, (path, text, sqlite_half) in enumerate(statements()):
        if sqlite_half:
            counts["SQLite halves of dialect pairs (not checked)"] += 1
            continue
        if "{" in text:
            counts["assembled at run time (not checked)"] += 1
            continue
        ok, err = psql(url, f"PREPARE s{n} AS {text}")
        if ok:
            bad = [f"{c} is {t}" for c, t in result_types(url, text) if t in UNDECODABLE]
            if bad:
                counts["prepare, but return a type no row decodes"] += 1
                failed["result column " + "; ".join(sorted({b.split(' is ')[1] for b in bad}))].append(
                    (path, ", ".join(bad), " ".join(text.split())[:160]))
                continue
            counts["prepare on PostgreSQL"] += 1
            continue
        if "syntax error at end of input" in err or (
            "syntax error at or near \";\"" in err
            and not re.search(r"\bvalues\b|\bselect\b.*\bfrom\b", text, re.I | re.S)
        ):
            # A QueryBuilder head (`insert into t (a, b) `): completed at run time.
            counts["assembled at run time (not checked)"] += 1
            continue
        counts["fail on PostgreSQL"] += 1
        reason = re.sub(r"^.*?ERROR:\s+", "", err)
        failed[re.sub(r'"[^"]*"|\$\d+', "…", reason)].append((path, reason, " ".join(text.split())[:160]))
    psql(admin, f"drop database {name}")
    for what, n in counts.most_common():
        print(f"{n:5}  {what}")
    for reason, where in sorted(failed.items(), key=lambda kv: -len(kv[1])):
        print(f"\n{len(where)} × {reason}")
        for path, full, text in where:
            print(f"  {path}: {full}\n      {text}")


if __name__ == "__main__":
    main()
