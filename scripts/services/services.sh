#!/usr/bin/env bash
# Start / stop every scale-out service the tests need: Kafka, Elasticsearch, PostgreSQL.
# usage: scripts/services/services.sh {up|down|status}
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
case "${1:-}" in
  up) "$here/kafka.sh" start; "$here/elasticsearch.sh" start; "$here/postgres.sh" start >/dev/null ;;
  down) rc=0; "$here/kafka.sh" stop || rc=$?; "$here/elasticsearch.sh" stop || rc=$?
        "$here/postgres.sh" stop || rc=$?; exit "$rc" ;;
  status) rc=0; "$here/kafka.sh" status || rc=$?; "$here/elasticsearch.sh" status || rc=$?
          "$here/postgres.sh" status || rc=$?; exit "$rc" ;;
  *) echo "usage: $0 {up|down|status}" >&2; exit 2 ;;
esac
