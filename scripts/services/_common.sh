# Shared helpers for kafka.sh and elasticsearch.sh (sourced, not run).
# Everything lands under $SERVICES_DIR (default: <repo>/.cache/services), which git ignores.

set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SCRIPTS_DIR="$REPO_ROOT/scripts/services"
SERVICES_DIR="${DULUAN_SERVICES_DIR:-$REPO_ROOT/.cache/services}"
mkdir -p "$SERVICES_DIR"

log() { printf '[%s] %s\n' "${SERVICE_NAME:-services}" "$*" >&2; }
die() { printf '[%s] ERROR: %s\n' "${SERVICE_NAME:-services}" "$*" >&2; exit 1; }

# java_major BIN -> prints the major version of that java binary (e.g. 17), or nothing.
java_major() {
  "$1" -XshowSettings:properties -version 2>&1 \
    | awk -F'= ' '/java.specification.version/ {print $2; exit}' | cut -d. -f1
}

# find_java MIN_MAJOR [PREFERRED_HOME...] -> prints a java binary of at least that major version.
find_java() {
  local min="$1"; shift
  local candidates=()
  local home
  for home in "$@"; do [[ -n "$home" ]] && candidates+=("$home/bin/java"); done
  [[ -n "${JAVA_HOME:-}" ]] && candidates+=("$JAVA_HOME/bin/java")
  command -v java >/dev/null 2>&1 && candidates+=("$(command -v java)")
  for home in /usr/lib/jvm/*; do [[ -x "$home/bin/java" ]] && candidates+=("$home/bin/java"); done
  local bin major
  for bin in "${candidates[@]}"; do
    [[ -x "$bin" ]] || continue
    major="$(java_major "$bin" || true)"
    if [[ -n "$major" && "$major" -ge "$min" ]]; then
      printf '%s\n' "$bin"
      return 0
    fi
  done
  return 1
}

require_cmd() {
  command -v "$1" >/dev/null 2>&1 || die "'$1' is not installed (${2:-install it with apt-get install -y $1})"
}

# port_open PORT -> success when something accepts TCP connections on 127.0.0.1:PORT.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") >/dev/null 2>&1; }

# pid_alive PIDFILE [PATTERN] -> success when the pid in the file runs and (if given) its
# command line contains PATTERN, so a pid reused after a reboot is not mistaken for ours.
pid_alive() {
  [[ -s "$1" ]] || return 1
  local pid; pid="$(tr -dc '0-9' <"$1")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  [[ -z "${2:-}" || ! -r "/proc/$pid/cmdline" ]] && return 0
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$2"
}

# stop_pid PIDFILE NAME [GRACE_SECONDS] [PATTERN] -> TERM, wait, then KILL; removes the pid file.
stop_pid() {
  local file="$1" name="$2" grace="${3:-30}" pattern="${4:-}"
  if ! pid_alive "$file" "$pattern"; then
    rm -f "$file"
    log "$name is not running"
    return 0
  fi
  local pid; pid="$(tr -dc '0-9' <"$file")"
  log "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  local i
  for ((i = 0; i < grace * 2; i++)); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$file"; log "$name stopped"; return 0; }
    sleep 0.5
  done
  log "$name did not stop in ${grace}s; killing it"
  kill -KILL "$pid" 2>/dev/null || true
  sleep 1
  rm -f "$file"
}

# mvn_fetch ARGS... -> run maven quietly in batch mode, with a clear error on failure.
mvn_fetch() {
  require_cmd mvn "install Maven: apt-get install -y maven"
  local out
  # DULUAN_MAVEN_ARGS: extra maven flags, e.g. -Dmaven.repo.local=/somewhere or -o
  # shellcheck disable=SC2086
  if ! out="$(mvn -B -q ${DULUAN_MAVEN_ARGS:-} "$@" 2>&1)"; then
    printf '%s\n' "$out" | tail -25 >&2
    die "maven could not fetch the artifacts (is Maven Central reachable?)"
  fi
}
