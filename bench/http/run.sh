#!/usr/bin/env bash
# Load benchmark of the staff app (issue 4): person search and the contact list under a
# commune officer's jurisdiction filter, with wrk (Debian package `wrk`), against a
# running `phongdich demo` or `phongdich serve`. Results go in docs/benchmarks.md.
#
#   bench/http/run.sh URL USERNAME PASSWORD [DURATION] [CONNECTIONS]
#
# e.g. bench/http/run.sh http://127.0.0.1:8099 xa 'the password demo printed' 30s 8
# TARGETS="search api-search" bench/http/run.sh ... runs only those targets.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
base=${1:?URL}; user=${2:?USERNAME}; pass=${3:?PASSWORD}
duration=${4:-30s}; connections=${5:-8}

# Sign in as a browser does: the form's CSRF token and its cookie, then the session.
jar=$(mktemp)
trap 'rm -f "$jar"' EXIT
csrf=$(curl -fsS -c "$jar" "$base/signin" | grep -o 'name="csrf" value="[^"]*"' | head -n1 | sed 's/.*value="//; s/"$//')
curl -fsS -b "$jar" -c "$jar" -o /dev/null \
  --data-urlencode "username=$user" --data-urlencode "password=$pass" \
  --data-urlencode "csrf=$csrf" --data-urlencode "next=/dashboard" "$base/signin"
session=$(awk '$6 == "pd_session" { print $7 }' "$jar")
[ -n "$session" ] || { echo "sign-in as $user failed" >&2; exit 1; }

echo "# $(date -u +%FT%TZ) $base as $user; wrk 1 thread, $connections connections, $duration each; load $(cut -d' ' -f1-3 /proc/loadavg)"
for target in ${TARGETS:-search contacts api-search api-contacts}; do
  # One request first, so that a cold cache is not part of the run.
  case $target in
    search) warm=/persons?q=nguyen ;; contacts) warm=/contacts ;;
    api-search) warm=/api/v1/persons?q=nguyen ;; api-contacts) warm=/api/v1/contacts ;;
  esac
  curl -fsS -o /dev/null -H "Cookie: pd_session=$session" "$base$warm"
  echo "## $target"
  wrk -t1 -c"$connections" -d"$duration" --timeout 10s -s "$here/load.lua" \
    -H "Cookie: pd_session=$session" "$base" -- "$target" | grep -E '^(requests|p50)'
done
