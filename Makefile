# hexwatch: `make help` lists the targets.

BIN      := bin/hexwatch
VERSION  := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X main.version=$(VERSION)
GO       ?= go
# The Go toolchain every target builds with, which the go command takes
# from the Go module proxy on first use: go1.26.8 has eleven advisories of
# the standard library that later releases fix (make vulncheck).
export GOTOOLCHAIN := go1.27.3
# The Go vulnerability database, as the module golang.org/x/vulndb serves it.
VULNDB_VERSION ?= v0.0.0-20261105234957-e22db6528018
FUZZTIME ?= 10s

.DEFAULT_GOAL := help
.PHONY: help run db tools web build check vulncheck test bench loadtest scaletest lint migrate-new clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

run: db web build ## provision PostGIS, migrate, create DEMO users (printed) and serve on :8080
	$(BIN) migrate up
	$(BIN) demo
	$(BIN) serve

db: ## install/start PostGIS when missing and create the hexwatch database
	@.ci/db.sh

tools: ## install the programs the tests drive when missing (Chromium, GDAL, poppler)
	@.ci/tools.sh

web: ## install the front end's npm packages and bundle it into web/dist
	cd web && npm ci --no-audit --no-fund && npm run build

build: ## build bin/hexwatch with the version injected
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/hexwatch

check: lint vulncheck ## the fast loop: lint and the tests that need no database or browser (go test -short), in well under a minute
	$(GO) test -short -count=1 ./...

test: tools web lint vulncheck ## set up what is missing, lint, then run every test against a real PostGIS and headless Chromium
	@if [ -z "$$HEXWATCH_TEST_DATABASE_URL" ]; then HEXWATCH_DATABASE_URL= .ci/db.sh; fi
	$(GO) test -race -count=1 -timeout 30m ./...
	@for f in FuzzCSVReader FuzzNDJSONReader FuzzGeoJSONReader FuzzValidate; do \
	  $(GO) test -run='^$$' -fuzz="^$$f\$$" -fuzztime=$(FUZZTIME) ./pkg/intel || exit 1; \
	done

BENCH_DB   ?= hexwatch_bench
BENCH_ARGS ?=
bench: db web build ## measure against the baselines on a fresh database (BENCH_ARGS="--reports 100000" for a quick run)
	psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS $(BENCH_DB) WITH (FORCE)" -c "CREATE DATABASE $(BENCH_DB)"
	HEXWATCH_DATABASE_URL="postgres://postgres@127.0.0.1:5432/$(BENCH_DB)?sslmode=disable" $(BIN) bench $(BENCH_ARGS)

loadtest: db build ## a minute of mixed load on loopback; fails if an accepted report is not stored exactly once
	psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS hexwatch_loadtest WITH (FORCE)" -c "CREATE DATABASE hexwatch_loadtest"
	HEXWATCH_DATABASE_URL="postgres://postgres@127.0.0.1:5432/hexwatch_loadtest?sslmode=disable" $(BIN) loadtest $(LOADTEST_ARGS)

scaletest: db build ## a private primary and hot standby of PostgreSQL, an instance on each: reads follow writes within 1 s, stale answers without the primary
	$(BIN) scaletest $(SCALETEST_ARGS)

vulncheck: ## fail on a known vulnerability the code reaches that .ci/vulncheck-allow.txt does not name (offline database, cached)
	@db=$$(.ci/vulndb.sh $(VULNDB_VERSION)) && out=$$(mktemp) && trap 'rm -f "$$out"' EXIT && \
	 $(GO) tool govulncheck -db "file://$$db" -format json ./... > "$$out" && \
	 $(GO) run ./cmd/vulncheck .ci/vulncheck-allow.txt < "$$out"

lint: ## go vet, staticcheck and errcheck (pinned in go.mod), no ignored JSON error, and gofmt
	$(GO) vet ./...
	$(GO) tool staticcheck ./...
	$(GO) tool errcheck -ignoretests -exclude .ci/errcheck-exclude.txt ./...
	@out=$$(grep -rnE '(_|, _) :?= json\.(Marshal|Unmarshal)' --include='*.go' --exclude='*_test.go' cmd pkg); \
	 if [ -n "$$out" ]; then echo "a JSON error is ignored:"; echo "$$out"; exit 1; fi
	@out=$$("$$($(GO) env GOROOT)/bin/gofmt" -l .); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

migrate-new: ## add migrations/NNNNNN_$(NAME).{up,down}.sql
	@test -n "$(NAME)" || { echo "usage: make migrate-new NAME=add_something"; exit 2; }
	@n=$$(ls migrations/*.up.sql 2>/dev/null | sed 's|.*/0*\([0-9]*\)_.*|\1|' | sort -n | tail -n 1); \
	 next=$$(printf '%06d' $$(( $${n:-0} + 1 ))); \
	 for d in up down; do echo "-- $(NAME) ($$d)" > migrations/$${next}_$(NAME).$$d.sql; done; \
	 ls migrations/$${next}_*

clean: ## remove build output
	rm -rf bin web/node_modules
	find web/dist -mindepth 1 ! -name .gitkeep -delete
