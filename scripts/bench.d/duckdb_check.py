"""Compare verdicts (a CSV, or NDJSON when the name ends in .ndjson, with order_id and verdict) with truth.csv;
print one line of key=value facts.

usage: duckdb_check.py VERDICTS TRUTH_CSV

Prints rows=, truth_rows=, matched= (orders in both), agree= (same verdict) and agree_pct=, then the
disagreements as truth->got:count pairs, largest first (at most 8).
"""
import sys

import duckdb


def main() -> None:
    got, truth = sys.argv[1:3]
    con = duckdb.connect()
    opts = "header=true, all_varchar=true"
    for path in (got, truth):
        if "'" in path:
            sys.exit(f"duckdb_check.py: path with a quote is not supported: {path}")
    if got.endswith(".ndjson"):
        cols = "columns={'order_id': 'VARCHAR', 'verdict': 'VARCHAR'}"
        con.execute(f"CREATE VIEW g AS SELECT order_id, verdict FROM read_ndjson('{got}', {cols})")
    else:
        con.execute(f"CREATE VIEW g AS SELECT order_id, verdict FROM read_csv('{got}', {opts})")
    con.execute(f"CREATE VIEW t AS SELECT order_id, verdict FROM read_csv('{truth}', {opts})")
    rows = con.execute("SELECT count(*) FROM g").fetchone()[0]
    truth_rows = con.execute("SELECT count(*) FROM t").fetchone()[0]
    matched, agree = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE g.verdict = t.verdict) FROM g JOIN t USING (order_id)"
    ).fetchone()
    wrong = con.execute(
        "SELECT t.verdict || '->' || coalesce(g.verdict, 'missing') AS cell, count(*) AS n "
        "FROM t LEFT JOIN g USING (order_id) WHERE g.verdict IS DISTINCT FROM t.verdict "
        "GROUP BY ALL ORDER BY n DESC, cell LIMIT 8"
    ).fetchall()
    pct = 100.0 * agree / truth_rows if truth_rows else 0.0
    cells = ",".join(f"{c}:{n}" for c, n in wrong) or "none"
    print(f"{rows} rows for {truth_rows} orders in truth.csv, {matched} of them in both, same verdict for "
          f"{agree} ({pct:.2f}%); truth->got: {cells}")


if __name__ == "__main__":
    main()
