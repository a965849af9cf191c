#!/usr/bin/env bash
# Start a local PostgreSQL for the team-mode test and print its URI (stdout only).
# The role's password is random per run: no credential is ever written into the repo.
set -euo pipefail
log() { echo "postgres.sh: $*" >&2; }
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  log "installing Debian's postgresql"
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi
version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
pg_lsclusters -h | grep -q "^$version main" || pg_createcluster "$version" main >&2
pg_lsclusters -h | grep -q "^$version main .* online" || pg_ctlcluster "$version" main start >&2
password=$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')
psql_admin() { su postgres -c "psql -v ON_ERROR_STOP=1 -qAt -c \"$1\"" >&2; }
if su postgres -c "psql -qAt -c \"SELECT 1 FROM pg_roles WHERE rolname='prunegate_ci'\"" | grep -q 1; then
  psql_admin "ALTER ROLE prunegate_ci WITH LOGIN CREATEDB PASSWORD '$password'"
else
  psql_admin "CREATE ROLE prunegate_ci WITH LOGIN CREATEDB PASSWORD '$password'"
fi
su postgres -c "psql -qAt -c \"SELECT 1 FROM pg_database WHERE datname='prunegate_ci'\"" | grep -q 1 \
  || su postgres -c "createdb -O prunegate_ci prunegate_ci" >&2
port=$(pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" {print $3}')
echo "postgresql://prunegate_ci:${password}@127.0.0.1:${port}/prunegate_ci"
