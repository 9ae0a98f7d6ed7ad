#!/usr/bin/env bash
# Builds the Go vulnerability database govulncheck reads, offline: the
# module golang.org/x/vulndb (served by the module proxy like any module)
# carries every advisory as OSV JSON under data/osv/, and its cmd/indexdb
# turns that folder into a database. Cached per version; prints its path.
# usage: vulndb.sh VERSION
set -euo pipefail
version=$1
cache=$(go env GOCACHE)/hexwatch-vulndb/$version
if [ -f "$cache/db/index/db.json" ]; then
  echo "$cache/db"
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "vulndb: building the vulnerability database of golang.org/x/vulndb@$version" >&2
(
  cd "$work"
  go mod init vulndb-build >/dev/null 2>&1
  GOFLAGS=-mod=mod go get "golang.org/x/vulndb/cmd/indexdb@$version" 2>&1 | grep -v '^go: downloading' >&2 || true
  test -f go.sum
  go build -o indexdb golang.org/x/vulndb/cmd/indexdb
  osv=$(go list -m -f '{{.Dir}}' golang.org/x/vulndb)/data/osv
  mkdir -p "$cache"
  rm -rf "$cache/db.new"
  ./indexdb -vulns "$osv" -out "$cache/db.new"
)
rm -rf "$cache/db"
mv "$cache/db.new" "$cache/db"
echo "$cache/db"
