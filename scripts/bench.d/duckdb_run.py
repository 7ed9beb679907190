"""Run scripts/bench.d/verdicts.sql with DuckDB: the timed part of scripts/bench's DuckDB row.

usage: duckdb_run.py SQL_FILE LOGS_DIR OUT_CSV

Only the statement is run here (DuckDB picks its own thread count: every core). The check of its output against
truth.csv is a separate, untimed step (duckdb_check.py).
"""
import sys

import duckdb


def main() -> None:
    sql_file, logs, out = sys.argv[1:4]
    with open(sql_file, encoding="utf-8") as f:
        sql = f.read()
    for name, value in (("@LOGS@", logs), ("@OUT@", out)):
        if "'" in value:
            sys.exit(f"duckdb_run.py: path with a quote is not supported: {value}")
        sql = sql.replace(name, value)
    duckdb.connect().execute(sql)


if __name__ == "__main__":
    main()
