#!/usr/bin/env bash
# Starts a local PostgreSQL for the store tests (if none answers on 5432) and
# prints the admin URL the tests use to create their throwaway databases.
#
# `--drop-test-databases` only drops the throwaway databases earlier runs left
# (scripts/test.sh calls it when the suite ends); every start does it too.
set -euo pipefail
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "PostgreSQL is not installed; run .ci/setup.sh first" >&2
  exit 1
fi

# Drops the `bulwark_test_*` databases (crates/store/src/testing.rs) made more
# than a minute ago. A database another run is still using is not dropped
# (plain DROP refuses while connections are open; the error is ignored), and
# the minute covers the moment between a test creating its database and
# connecting to it. Left alone, they pile up: thousands of them made a start
# after an unclean stop spend minutes syncing the data directory.
drop_test_databases() {
  su postgres -c "psql -q -X -v ON_ERROR_STOP=0" >/dev/null 2>&1 <<'SQL' || true
SELECT format('DROP DATABASE IF EXISTS %I', datname) FROM pg_database
 WHERE datname LIKE 'bulwark\_test\_%'
   AND (pg_stat_file('base/' || oid || '/PG_VERSION')).modification
       < now() - interval '1 minute'
\gexec
SQL
}

# Only the URL goes to stdout (the caller captures it): whatever the
# PostgreSQL tools print on a fresh machine goes to stderr.
start_server() {
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    cluster=$(pg_lsclusters -h | awk 'NR==1 {print $1" "$2}')
    if [ -z "$cluster" ]; then
      version=$(ls /usr/lib/postgresql | sort -n | tail -1)
      pg_createcluster "$version" main >/dev/null
      cluster="$version main"
    fi
    # A cluster stopped uncleanly (the machine paused or stopped with it
    # running) replays its log and syncs its data directory before it answers:
    # syncfs syncs the file system at once instead of file by file, and pg_ctl
    # waits up to 15 minutes rather than its default 60 s.
    # shellcheck disable=SC2086
    pg_ctlcluster -o "-c recovery_init_sync_method=syncfs" $cluster start -- -t 900
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
  su postgres -c "psql -q -tAc \"SELECT 1 FROM pg_roles WHERE rolname='bulwark'\"" | grep -q 1 ||
    su postgres -c "psql -q -c \"CREATE ROLE bulwark LOGIN SUPERUSER PASSWORD 'bulwark'\""
  drop_test_databases
}

if [ "${1:-}" = "--drop-test-databases" ]; then
  pg_isready -q -h 127.0.0.1 -p 5432 && drop_test_databases
  exit 0
fi
start_server >&2
echo "postgres://bulwark:bulwark@127.0.0.1:5432/postgres"
