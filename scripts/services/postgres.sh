#!/usr/bin/env bash
# PostgreSQL (Debian's `postgresql` package) for tests and local scale-out runs: one cluster,
# loopback only, trust auth, run as an unprivileged user, data under .cache/services/.
# usage: scripts/services/postgres.sh {start|stop|restart|status|reset|logs [N]|url}
# env:   PG_PORT (5433) PG_USER (duluan-pg; created when run as root: postgres refuses root)
#        PG_DB (duluan) PG_START_TIMEOUT (60) DULUAN_SERVICES_DIR
SERVICE_NAME=postgres
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"

PG_PORT="${PG_PORT:-5433}"
PG_USER="${PG_USER:-duluan-pg}"
PG_DB="${PG_DB:-duluan}"
PG_START_TIMEOUT="${PG_START_TIMEOUT:-60}"

# the newest installed server's binaries (pg_ctl, initdb, postgres are not on PATH in Debian)
pg_bin() {
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
  [[ -n "$dir" && -x "$dir/pg_ctl" ]] || die "PostgreSQL is not installed: run scripts/install_system_deps.sh (apt-get install -y postgresql)"
  printf '%s\n' "$dir"
}

ensure_user() {
  [[ $EUID -eq 0 ]] || return 0
  if ! id -u "$PG_USER" >/dev/null 2>&1; then
    log "creating unprivileged user $PG_USER (PostgreSQL refuses to run as root)"
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$PG_USER" \
      || die "useradd $PG_USER failed"
  fi
}

# run a command as the cluster's owner (the caller, or PG_USER when root)
as_owner() { if [[ $EUID -eq 0 ]]; then runuser -u "$PG_USER" -- "$@"; else "$@"; fi; }

choose_base() {
  ensure_user
  PG_BASE="$SERVICES_DIR"
  if [[ $EUID -eq 0 ]] && ! runuser -u "$PG_USER" -- test -x "$SERVICES_DIR" 2>/dev/null; then
    PG_BASE="/var/tmp/duluan-services-$(printf '%s' "$SERVICES_DIR" | md5sum | cut -c1-8)"
    mkdir -p "$PG_BASE"; chmod 755 "$PG_BASE"
  fi
  DATA="$PG_BASE/postgres-data"
  PGDATA="$DATA/cluster"
  SOCKDIR="$DATA/run"
  LOGFILE="$DATA/postgres.log"
}

url() { printf 'postgresql+psycopg://postgres@127.0.0.1:%s/%s\n' "$PG_PORT" "$PG_DB"; }

ready() { "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres; }

init_cluster() {
  [[ -s "$PGDATA/PG_VERSION" ]] && return 0
  log "initdb in $PGDATA"
  mkdir -p "$DATA" "$SOCKDIR"
  [[ $EUID -eq 0 ]] && chown -R "$PG_USER" "$DATA"
  as_owner "$BIN/initdb" -D "$PGDATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null \
    || die "initdb failed"
  cat >>"$PGDATA/postgresql.conf" <<CONF
# added by scripts/services/postgres.sh
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$SOCKDIR'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 64MB
CONF
  printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' >"$PGDATA/pg_hba.conf"
}

start() {
  BIN="$(pg_bin)"
  if ready; then log "already running on 127.0.0.1:$PG_PORT"; url; return 0; fi
  port_open "$PG_PORT" && die "port $PG_PORT is taken by something else"
  init_cluster
  mkdir -p "$SOCKDIR"; [[ $EUID -eq 0 ]] && chown "$PG_USER" "$SOCKDIR" "$DATA"
  log "starting on 127.0.0.1:$PG_PORT"
  as_owner "$BIN/pg_ctl" -D "$PGDATA" -l "$LOGFILE" -w -t "$PG_START_TIMEOUT" start >/dev/null \
    || { tail -20 "$LOGFILE" >&2 || true; die "pg_ctl start failed"; }
  ready || die "PostgreSQL did not answer"
  if ! "$BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname='$PG_DB'" | grep -q 1; then
    "$BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres "$PG_DB"
  fi
  log "ready"
  url
}

stop() {
  BIN="$(pg_bin)"
  if [[ ! -s "$PGDATA/postmaster.pid" ]]; then log "postgres is not running"; return 0; fi
  log "stopping"
  as_owner "$BIN/pg_ctl" -D "$PGDATA" -m fast -w -t 30 stop >/dev/null || log "pg_ctl stop failed"
}

status() {
  BIN="$(pg_bin)"
  if ready; then log "running on 127.0.0.1:$PG_PORT ($(url))"; return 0; fi
  log "not running"; return 1
}

choose_base
case "${1:-}" in
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  status) status ;;
  url) url ;;
  reset) stop; rm -rf "$DATA"; log "data removed" ;;
  logs) tail -n "${2:-50}" "$LOGFILE" ;;
  *) echo "usage: $0 {start|stop|restart|status|reset|logs [N]|url}" >&2; exit 2 ;;
esac
