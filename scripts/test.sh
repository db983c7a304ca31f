#!/usr/bin/env bash
# The whole test suite: start real Kafka + Elasticsearch, run pytest, always stop them.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

echo "lint: ruff and mypy" >&2
$BIN/ruff check . || exit 1
$BIN/mypy || exit 1

bash scripts/install_system_deps.sh || echo "warning: chromium / poppler-utils could not be installed" >&2
if ! bash scripts/services/services.sh up; then
  echo "error: could not start Kafka / Elasticsearch (see messages above)" >&2
  bash scripts/services/services.sh down >/dev/null 2>&1 || true
  exit 1
fi
export DULUAN_REQUIRE_SERVICES=1
$BIN/python -m pytest -ra "$@"
rc=$?
bash scripts/services/services.sh down || true
exit $rc
