#!/usr/bin/env bash
# Load benchmark of the staff app (issues 4 and 9): the list pages under an account's
# jurisdiction (person search, contacts, cases, dashboard, audit log) and the API's
# writes (registering a case, adding a contact), with wrk (Debian package `wrk`),
# against a running `phongdich demo` or `phongdich serve`. Results go in
# docs/benchmarks.md.
#
#   bench/http/run.sh URL USERNAME PASSWORD [DURATION] [CONNECTIONS]
#
# e.g. bench/http/run.sh http://127.0.0.1:8099 xa 'the password demo printed' 30s 8
# TARGETS="search api-search" bench/http/run.sh ... runs only those targets (default:
# search contacts api-search api-contacts; also cases, dashboard, audit).
# The write targets api-case and api-contact need TOKEN (an API token with write
# scope: `phongdich user token USERNAME --name bench --scope write`) and FIRST_ID, the
# first person id they use (each case request takes the next person, each contact the
# next two): pick persons without a case.
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
    cases) warm=/cases ;; dashboard) warm=/dashboard ;; audit) warm=/audit ;;
    api-search) warm=/api/v1/persons?q=nguyen ;; api-contacts) warm=/api/v1/contacts ;;
    api-case|api-contact) warm= ;;
    *) echo "unknown target $target" >&2; exit 2 ;;
  esac
  echo "## $target"
  if [ -z "$warm" ]; then
    auth="Authorization: Bearer ${TOKEN:?TOKEN (write scope) for $target}"
    wrk -t1 -c"$connections" -d"$duration" --timeout 10s -s "$here/load.lua" \
      -H "$auth" "$base" -- "$target" "${FIRST_ID:?FIRST_ID for $target}" | grep -E '^(requests|p50)'
    continue
  fi
  curl -fsS -o /dev/null -H "Cookie: pd_session=$session" "$base$warm"
  wrk -t1 -c"$connections" -d"$duration" --timeout 10s -s "$here/load.lua" \
    -H "Cookie: pd_session=$session" "$base" -- "$target" | grep -E '^(requests|p50)'
done
