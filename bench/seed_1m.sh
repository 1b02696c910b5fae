#!/usr/bin/env bash
# Seed a large benchmark data set (default one million opportunities) into PostgreSQL, then print the
# elapsed time and exact row counts. Later benchmarks read this database.
#
#   bench/seed_1m.sh            # create kadence_bench if missing, migrate, seed on top of what is there
#   bench/seed_1m.sh --fresh    # drop and recreate the database first (reproducible numbers)
#
# Environment: N (opportunities, 1000000), REPS (reps in teams; default one per 500 deals, a realistic
# book; REPS=0 keeps the demo's 24 reps, the old stress shape), SEED (42), DB (kadence_bench), PGHOST (127.0.0.1),
# PGPORT (5432), PGUSER (postgres), PYTHON (.venv/bin/python). Run from anywhere.
set -euo pipefail

cd "$(dirname "$0")/.."
N=${N:-1000000}
SEED=${SEED:-42}
DB=${DB:-kadence_bench}
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
PYTHON=${PYTHON:-.venv/bin/python}
export DATABASE_URL="postgres://${PGUSER}@${PGHOST}:${PGPORT}/${DB}"

if [[ "${1:-}" == "--fresh" ]]; then
  psql -d postgres -qc "DROP DATABASE IF EXISTS ${DB}"
fi
if ! psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '${DB}'" | grep -q 1; then
  psql -d postgres -qc "CREATE DATABASE ${DB}"
fi
"$PYTHON" manage.py migrate --verbosity 0

started=$(date +%s.%N)
"$PYTHON" manage.py seed --opportunities "$N" --seed "$SEED" ${REPS:+--reps "$REPS"}
finished=$(date +%s.%N)
printf 'seed --opportunities %s: %.1f s wall clock\n' "$N" "$(echo "$finished - $started" | bc)"

psql -d "$DB" -P pager=off -c "
SELECT table_name, rows FROM (
            SELECT 1 AS n, 'users' AS table_name, count(*) AS rows FROM core_user
  UNION ALL SELECT 2, 'accounts', count(*) FROM accounts_account
  UNION ALL SELECT 3, 'contacts', count(*) FROM accounts_contact
  UNION ALL SELECT 4, 'opportunities', count(*) FROM pipeline_opportunity
  UNION ALL SELECT 5, '  open', count(*) FROM pipeline_opportunity WHERE status = 'open'
  UNION ALL SELECT 6, '  won', count(*) FROM pipeline_opportunity WHERE status = 'won'
  UNION ALL SELECT 7, '  lost', count(*) FROM pipeline_opportunity WHERE status = 'lost'
  UNION ALL SELECT 8, 'stage changes', count(*) FROM pipeline_stagechange
  UNION ALL SELECT 9, 'deal team members', count(*) FROM pipeline_opportunityteammember
  UNION ALL SELECT 10, 'opportunity product lines', count(*) FROM pipeline_opportunity_product_lines
  UNION ALL SELECT 11, 'opportunity competitors', count(*) FROM pipeline_opportunity_competitors
  UNION ALL SELECT 12, 'activities', count(*) FROM activities_activity
  UNION ALL SELECT 13, 'activity contacts', count(*) FROM activities_activity_contacts
) counts ORDER BY n;
SELECT pg_size_pretty(pg_database_size(current_database())) AS database_size;"
