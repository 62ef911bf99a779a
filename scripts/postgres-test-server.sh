#!/usr/bin/env bash
# A throw-away PostgreSQL server for one test run, in a temporary directory. No Docker.
#   scripts/postgres-test-server.sh start DIR   # initdb + start; prints the postgres:// URL
#   scripts/postgres-test-server.sh url DIR     # prints the URL of the server started in DIR
#   scripts/postgres-test-server.sh stop DIR    # stops it and removes DIR (safe when already stopped)
#   scripts/postgres-test-server.sh down DIR    # stops it, keeping DIR (restart tests)
#   scripts/postgres-test-server.sh up DIR      # starts it again: same port, same password
#
# The cluster lives in DIR/data, owned by the `postgres` system user when run as root (PostgreSQL
# refuses to run as root; Debian's binaries are in /usr/lib/postgresql/<version>/bin). It listens on
# 127.0.0.1 on a free port and on a unix socket in DIR, with fsync on (the tests check durability).
# A role `landing_test` with a random password (it contains characters that must be percent-encoded
# in a URI, so the tests exercise decoding) owns the database `landing_test`. TCP connections need
# that password (scram-sha-256); the unix socket (DIR is private) lets the superuser in for setup.
# `start` is idempotent: on a DIR whose server runs it prints the URL again.
set -euo pipefail

command="${1:-}"
dir="${2:-}"
if [ -z "$command" ] || [ -z "$dir" ]; then
  echo "usage: $0 start|stop|url|down|up DIR" >&2
  exit 2
fi
marker="$dir/.landing-postgres-test"
data="$dir/data"

# The newest installed server's binaries (Debian keeps them off PATH).
find_bindir() {
  local candidate
  for candidate in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$candidate/initdb" ] && [ -x "$candidate/pg_ctl" ]; then
      echo "$candidate"
      return 0
    fi
  done
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(command -v initdb)"
    return 0
  fi
  echo "PostgreSQL server binaries (initdb, pg_ctl) not found; install Debian's postgresql package" >&2
  echo "(scripts/install-deps.sh test does)." >&2
  return 1
}

# Runs a command as the cluster's owner: `postgres` when we are root, else ourselves.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    # why: cd into DIR first, so the server does not start in a working directory it cannot read.
    (cd "$dir" && runuser -u postgres -- "$@")
  else
    (cd "$dir" && "$@")
  fi
}

# A TCP port on 127.0.0.1 that nothing listens on now (perl ships with postgresql-common).
free_port() {
  perl -MIO::Socket::INET -e \
    'my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => "127.0.0.1", LocalPort => 0, ReuseAddr => 1) or die "$!\n"; print $s->sockport, "\n";'
}

is_running() {
  [ -f "$data/PG_VERSION" ] || return 1
  local bindir
  bindir="$(find_bindir)" || return 1
  as_owner "$bindir/pg_ctl" status -D "$data" >/dev/null 2>&1
}

start() {
  if [ -f "$dir/url" ] && is_running; then
    cat "$dir/url"
    return 0
  fi
  local bindir
  bindir="$(find_bindir)"
  mkdir -p "$dir"
  if [ -n "$(ls -A "$dir" 2>/dev/null | grep -v '^\.landing-postgres-test$' || true)" ] && [ ! -f "$marker" ]; then
    echo "$dir is not empty and was not made by $0; refusing to use it" >&2
    return 1
  fi
  touch "$marker"
  chmod 700 "$dir"
  if [ "$(id -u)" -eq 0 ]; then
    if ! id postgres >/dev/null 2>&1; then
      echo "the postgres system user does not exist; install Debian's postgresql package" >&2
      return 1
    fi
    chown postgres: "$dir"
  fi

  if [ ! -f "$data/PG_VERSION" ]; then
    # why: --no-sync only for initdb's own files (a crash during setup just fails the run); the
    # server itself runs with fsync on.
    as_owner "$bindir/initdb" -D "$data" -U postgres --no-sync --encoding=UTF8 --locale=C.UTF-8 \
      --auth-local=trust --auth-host=scram-sha-256 >"$dir/initdb.log" 2>&1 || {
      echo "initdb failed:" >&2
      cat "$dir/initdb.log" >&2
      return 1
    }
  fi

  local password port attempt
  password="t3st-$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')@/:x%"
  for attempt in 1 2 3 4 5; do
    port="$(free_port)"
    # why: settings go into postgresql.auto.conf (last one wins), so a restart of this cluster in
    # a test keeps the port, the socket directory and fsync.
    as_owner tee "$data/postgresql.auto.conf" >/dev/null <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
fsync = on
synchronous_commit = on
full_page_writes = on
max_connections = 200
log_min_messages = warning
EOF
    if as_owner "$bindir/pg_ctl" start -D "$data" -l "$dir/server.log" -w -t 60 >/dev/null 2>&1; then
      break
    fi
    # Another process may have taken the port between free_port and the bind: try another.
    if [ "$attempt" -eq 5 ]; then
      echo "PostgreSQL did not start; its log:" >&2
      tail -n 30 "$dir/server.log" >&2 || true
      return 1
    fi
  done

  # why: the password goes through stdin, not argv, so `ps` never shows it; as a dollar-quoted
  # literal it needs no escaping (it contains no `$`).
  as_owner "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres -d postgres >/dev/null <<EOF
DO \$do\$ BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'landing_test') THEN
    ALTER ROLE landing_test LOGIN PASSWORD \$pw\$$password\$pw\$;
  ELSE
    CREATE ROLE landing_test LOGIN PASSWORD \$pw\$$password\$pw\$;
  END IF;
END \$do\$;
SELECT 'CREATE DATABASE landing_test OWNER landing_test'
  WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'landing_test') \gexec
EOF

  local encoded
  encoded="$(printf '%s' "$password" | perl -pe 's/([^A-Za-z0-9._~-])/sprintf("%%%02X", ord($1))/ge')"
  local url="postgres://landing_test:${encoded}@127.0.0.1:${port}/landing_test?connect_timeout=10&application_name=landing-tests"
  (umask 077 && printf '%s\n' "$url" >"$dir/url")
  printf '%s\n' "$port" >"$dir/port"
  cat "$dir/url"
}

stop() {
  [ -d "$dir" ] || return 0
  if [ ! -f "$marker" ]; then
    echo "$dir was not made by $0; not touching it" >&2
    return 1
  fi
  if [ -f "$data/postmaster.pid" ]; then
    local bindir
    if bindir="$(find_bindir)"; then
      # why: fast mode rolls back open transactions and disconnects clients instead of waiting for
      # them (a test that fails may leave connections open).
      as_owner "$bindir/pg_ctl" stop -D "$data" -m fast -w -t 30 >/dev/null 2>&1 ||
        as_owner "$bindir/pg_ctl" stop -D "$data" -m immediate -w -t 30 >/dev/null 2>&1 || true
    fi
  fi
  rm -rf "$dir"
}

# Stops the server but keeps DIR (its data, port and password), for restart tests.
down() {
  local bindir
  bindir="$(find_bindir)"
  as_owner "$bindir/pg_ctl" stop -D "$data" -m fast -w -t 30 >/dev/null
}

# Starts a server stopped by `down` again, on the same port with the same password.
up() {
  local bindir
  bindir="$(find_bindir)"
  as_owner "$bindir/pg_ctl" start -D "$data" -l "$dir/server.log" -w -t 60 >/dev/null
}

case "$command" in
  start) start ;;
  stop) stop ;;
  down) down ;;
  up) up ;;
  url)
    if [ -f "$dir/url" ]; then cat "$dir/url"; else
      echo "no test server in $dir" >&2
      exit 1
    fi
    ;;
  *)
    echo "usage: $0 start|stop|url|down|up DIR" >&2
    exit 2
    ;;
esac
