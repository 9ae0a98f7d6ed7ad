#!/usr/bin/env bash
# Provisions the local PostGIS database that hexwatch uses by default:
# installs PostgreSQL and PostGIS from Debian's packages when they are
# missing (as root; otherwise prints the command), starts a server on
# 127.0.0.1:5432 when none answers, and creates the hexwatch database.
# With HEXWATCH_DATABASE_URL set it does nothing: that database is used as is.
set -euo pipefail

HOST=127.0.0.1
PORT=5432
DBNAME=hexwatch
top=$(cd "$(dirname "$0")/.." && pwd)

say() { echo "db: $*" >&2; }

if [ -n "${HEXWATCH_DATABASE_URL:-}" ]; then
  say "HEXWATCH_DATABASE_URL is set: using that database, installing nothing"
  exit 0
fi

install() {
  if [ "$(id -u)" -eq 0 ]; then
    say "installing $*"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq "$@" >/dev/null
  else
    say "missing Debian packages; install them with:"
    echo "  sudo apt-get install -y $*" >&2
    exit 1
  fi
}

reachable() { (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null; }

psql_admin() { psql -h "$HOST" -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qAt "$@"; }

newest_major() { ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -n 1; }

# A cluster of the machine's that is stopped is started first.
if ! reachable && [ "$(id -u)" -eq 0 ] && command -v pg_lsclusters >/dev/null; then
  pg_lsclusters -h | while read -r v name port _; do
    [ "$port" = "$PORT" ] && pg_ctlcluster --skip-systemctl-redirect "$v" "$name" start 2>/dev/null || true
  done
fi

if ! reachable; then
  if [ -z "$(newest_major)" ] || [ ! -x "/usr/lib/postgresql/$(newest_major)/bin/initdb" ]; then
    install postgresql
  fi
  major=$(newest_major)
  bin=/usr/lib/postgresql/$major/bin
  if [ "$(id -u)" -eq 0 ]; then
    # Root cannot run postgres itself: a Debian-managed cluster of our own.
    if ! pg_lsclusters -h | awk '{print $2}' | grep -qx hexwatch; then
      say "creating PostgreSQL $major cluster 'hexwatch' on port $PORT"
      pg_createcluster "$major" hexwatch -p "$PORT" -- --auth=trust -U postgres >/dev/null
    fi
    pg_ctlcluster --skip-systemctl-redirect "$major" hexwatch start
  else
    data=$top/.pgdata
    if [ ! -f "$data/PG_VERSION" ]; then
      say "creating a private PostgreSQL $major cluster in $data"
      "$bin/initdb" -D "$data" -U postgres --auth=trust >/dev/null
    fi
    "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w \
      -o "-p $PORT -c listen_addresses=$HOST -k $data" start >/dev/null
  fi
  for _ in $(seq 1 30); do reachable && break; sleep 1; done
  reachable || { say "PostgreSQL did not start on $HOST:$PORT"; exit 1; }
fi

command -v psql >/dev/null || install postgresql-client

if [ "$(psql_admin -c "SELECT count(*) FROM pg_available_extensions WHERE name = 'postgis'")" = 0 ]; then
  major=$(psql_admin -c "SELECT current_setting('server_version_num')::int / 10000")
  install "postgresql-$major-postgis-3"
fi

if [ "$(psql_admin -c "SELECT count(*) FROM pg_database WHERE datname = '$DBNAME'")" = 0 ]; then
  say "creating database $DBNAME"
  psql_admin -c "CREATE DATABASE $DBNAME"
fi
say "PostGIS ready: postgres://postgres@$HOST:$PORT/$DBNAME?sslmode=disable"
