#!/usr/bin/env bash
# Debian packages the tests use: Chromium (dashboard and form browser tests) and poppler-utils
# (the briefing PDF is rendered to text and PNG), docker-compose (`config` validates the compose
# file; no Docker engine is needed for that), postgresql (scripts/services/postgres.sh runs a
# throwaway cluster for the metadata tests). Needs root or sudo; skips what is present.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)  # validates docker-compose.yml
ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || missing+=(postgresql)  # metadata tests
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
echo "installing ${missing[*]} from apt …" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
