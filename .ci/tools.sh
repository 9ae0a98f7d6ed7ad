#!/usr/bin/env bash
# Installs the programs the tests drive besides PostgreSQL (which db.sh
# provisions) when they are missing: Debian's headless Chromium for the
# browser tests, GDAL to read the snapshot GeoJSON and poppler to read the
# PDF briefing. As root it installs them; otherwise it prints the one
# apt-get command to run and stops.
set -euo pipefail

missing=()
command -v chromium >/dev/null || [ -n "${HEXWATCH_CHROMIUM:-}" ] || missing+=(chromium)
command -v ogrinfo >/dev/null || missing+=(gdal-bin)
command -v pdftotext >/dev/null || missing+=(poppler-utils)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "tools: the tests need Debian packages that are missing; install them with:" >&2
  echo "  sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "tools: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq "${missing[@]}" >/dev/null
