#!/usr/bin/env bash
# Starts a local PostgreSQL for the store tests (if none answers on 5432) and
# prints the admin URL the tests use to create their throwaway databases.
set -euo pipefail
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "PostgreSQL is not installed; run .ci/setup.sh first" >&2
  exit 1
fi
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
    # shellcheck disable=SC2086
    pg_ctlcluster $cluster start
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
  su postgres -c "psql -q -tAc \"SELECT 1 FROM pg_roles WHERE rolname='bulwark'\"" | grep -q 1 ||
    su postgres -c "psql -q -c \"CREATE ROLE bulwark LOGIN SUPERUSER PASSWORD 'bulwark'\""
}
start_server >&2
echo "postgres://bulwark:bulwark@127.0.0.1:5432/postgres"
