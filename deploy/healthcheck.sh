#!/usr/bin/env bash
# HEALTHCHECK of the Enricher container images: GET http://127.0.0.1:<port><path> must answer 200.
# Only bash's /dev/tcp is used: the runtime images are not guaranteed to have curl or wget.
# Usage: healthcheck.sh [path]   path defaults to /health/live; the port is ENRICHER_HTTP_PORT, else 8080.
set -u
path="${1:-/health/live}"
port="${ENRICHER_HTTP_PORT:-8080}"
{ exec 3<>"/dev/tcp/127.0.0.1/${port}"; } 2>/dev/null || exit 1
printf 'GET %s HTTP/1.0\r\nHost: localhost\r\nConnection: close\r\n\r\n' "${path}" >&3
IFS=' ' read -r -t 4 _ status _ <&3 || exit 1
exec 3<&-
[ "${status}" = "200" ]
