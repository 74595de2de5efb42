# screenpop — see README.md. Two commands matter: `make run` and `make test`.

GO       ?= go
GOROOT   := $(shell $(GO) env GOROOT)
WASMENV  := GOOS=js GOARCH=wasm
WASMFLAGS := -trimpath -ldflags="-s -w"
DIST     := dist
LISTEN   ?= 127.0.0.1:8080

.PHONY: all run test test-unit test-e2e extension relay clean bench vet fuzz lint-extension bench-extension

all: extension relay

## relay: the relay binary (bin/screenpop-relay)
relay:
	$(GO) build -trimpath -o bin/screenpop-relay ./server

## extension: dist/chrome and dist/firefox, ready for "Load unpacked" / about:debugging
extension:
	rm -rf $(DIST)/chrome $(DIST)/firefox
	mkdir -p $(DIST)/chrome
	cp -r extension/. $(DIST)/chrome/
	cp $(GOROOT)/lib/wasm/wasm_exec.js $(DIST)/chrome/
	$(WASMENV) $(GO) build $(WASMFLAGS) -o $(DIST)/chrome/background.wasm ./wasm/cmd/background
	$(WASMENV) $(GO) build $(WASMFLAGS) -o $(DIST)/chrome/pages.wasm ./wasm/cmd/pages
	cp -r $(DIST)/chrome $(DIST)/firefox
	# One manifest per browser, without the other's keys (tools/manifest).
	for b in chrome firefox; do $(GO) run ./tools/manifest -browser $$b < extension/manifest.json > $(DIST)/$$b/manifest.json || exit 1; done
	# The store packages: manifest.json at the root, deflated, nothing hidden (tools/zipdir).
	for b in chrome firefox; do $(GO) run ./tools/zipdir $(DIST)/$$b $(DIST)/screenpop-$$b.zip || exit 1; done

# Node tools for Firefox: web-ext (lint) and puppeteer-core (the Firefox
# end-to-end test), pinned by test/firefox/package-lock.json.
FIREFOX_NODE := test/firefox/node_modules/.package-lock.json
$(FIREFOX_NODE): test/firefox/package.json test/firefox/package-lock.json
	cd test/firefox && npm ci --no-audit --no-fund --loglevel=error
	touch $@

## lint-extension: Mozilla's linter on the Firefox package; any error fails
lint-extension: extension $(FIREFOX_NODE)
	cd test/firefox && npx --no-install web-ext lint --source-dir ../../$(DIST)/firefox --output text

## bench-extension: what the agent feels, each figure beside its floor measured in the same run, and the ratio
## (e2e/bench_test.go, busy_bench_test.go, bench_size_test.go): worker cold start vs a minimal Go wasm worker,
## ring → pop vs Chromium navigating alone, the popup's first paint of the current call vs a static copy, a busy
## day (1,000 and 10,000 calls remembered) vs a fresh agent; the gzip size of each wasm and its top ten packages.
## Sample sizes: SCREENPOP_BENCH_RINGS (60), SCREENPOP_BENCH_STARTS (12), SCREENPOP_BENCH_POPUPS (20).
bench-extension: extension
	$(GO) test -count=1 -run '^$$' -bench '^BenchmarkExtension(Size|BusyDay)?$$' -benchtime 1x -timeout 20m ./e2e/

## run: build the extension and start the relay in demo mode
run: extension relay
	@echo
	@echo "  Extension built. Load it in Chrome: chrome://extensions → Developer mode → Load unpacked →"
	@echo "      $(CURDIR)/$(DIST)/chrome"
	@echo "  Firefox: about:debugging → This Firefox → Load Temporary Add-on → $(CURDIR)/$(DIST)/firefox/manifest.json"
	@listen='$(LISTEN)'; host=$${listen%:*}; port=$${listen##*:}; \
	case "$$host" in ""|0.0.0.0|"[::]") host=127.0.0.1;; esac; \
	if [ "$$host:$$port" = 127.0.0.1:8080 ]; then \
	  echo "  A fresh install already points at http://127.0.0.1:8080 and its demo CRM: calls pop within seconds."; \
	else \
	  echo "  This relay listens on $$listen: in the extension's options set the relay URL http://$$host:$$port"; \
	  echo "  and the demo CRM template the relay prints below (http://$$host:$$port/demo-crm/…); a fresh install points at 127.0.0.1:8080."; \
	fi
	@echo
	./bin/screenpop-relay -demo -listen $(LISTEN)

## test: every test, the browser end-to-end tests included
test: extension vet lint-extension test-unit test-e2e

vet:
	$(GO) vet ./...
	$(WASMENV) $(GO) vet ./wasm/... ./internal/...

test-unit:
	$(GO) test -race $$($(GO) list ./... | grep -v /e2e)

# The end-to-end tests drive /usr/bin/chromium (apt-get install -y chromium).
# With SCREENPOP_REQUIRE_BROWSER=1 (set by .ci/run) a missing browser fails
# instead of skipping.
test-e2e: extension $(FIREFOX_NODE)
	$(GO) test -count=1 -timeout 15m ./e2e/...

## fuzz: every fuzz target in turn, FUZZTIME (10s) each; a failure stops at the first and leaves its
## input under the package's testdata/fuzz to replay with go test.
FUZZTIME ?= 10s
fuzz:
	@set -e; for pkg in $$($(GO) list ./... | grep -v /e2e); do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
			echo "$$pkg $$f"; \
			$(GO) test -run='^$$' -fuzz="^$$f$$" -fuzztime=$(FUZZTIME) $$pkg >/dev/null || { echo "$$pkg $$f: FAILED"; $(GO) test -run="^$$f$$" $$pkg; exit 1; }; \
		done; \
	done

clean:
	rm -rf $(DIST) bin

## bench-relay: the relay under load: N WebSocket agents (1,000 and 10,000), calls rung through the
## emulator; prints delivery latency p50/p99, relay memory per agent and CPU per delivered event.
## Every agent sees every call (the worst case, the targets'); then again with the agents in 100
## teams of one line each (-teams), as in a real deployment; then the floor (-floor, on by default):
## the same phases written to the agents by a bare send loop, no relay code, the machine's share.
## The bench raises the open-file limit itself (setrlimit; the relay child inherits it).
## Remote mode: -relay-url measures a relay on another host, started there with the command the
## bench prints (agents no longer share its cores; its CPU and memory come from its /metrics;
## no -teams, no floor; both clocks in sync). Bench on 10.0.0.5, relay on 10.0.0.6:
##   make bench-relay BENCH_RELAY_FLAGS="-relay-url http://10.0.0.6:8080 -emulator-listen 0.0.0.0:9100 -emulator-url http://10.0.0.5:9100/ -agents=10000"
BENCH_RELAY_FLAGS ?= -agents=1000,10000 -calls=50 -teams=100
.PHONY: bench-relay
bench-relay: relay
	$(GO) build -o bin/benchrelay ./bench/relay
	./bin/benchrelay -relay bin/screenpop-relay $(BENCH_RELAY_FLAGS)

## bench-crm: the caller directory and its sync (internal/directory, server/crm), each figure beside its floor
## measured in the same run, and the ratio: the lookup per ring at 100,000 records (target < 5 µs) beside a bare
## map lookup; memory per record at 100,000 beside the same records in a bare slice; a full sync of 10,000
## contacts from the real SuiteCRM (e2e/suitecrm, installed on first use) beside its own requests replayed raw
## (the CRM's share), then an incremental sync with nothing new. SCREENPOP_BENCH_CRM_RECORDS (10000) sets the size.
.PHONY: bench-crm
bench-crm:
	$(GO) test -count=1 -run '^$$' -bench '^BenchmarkLookup' -benchtime 3s ./internal/directory/
	$(GO) test -count=1 -run '^$$' -bench '^Benchmark(Memory|ApplyFull)$$' -benchtime 2x ./internal/directory/
	$(GO) test -count=1 -run '^$$' -bench '^BenchmarkRealSync$$' -benchtime 3x -timeout 30m ./server/crm/
