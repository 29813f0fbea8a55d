# The two commands of the README. Everything else is a helper they call.
.PHONY: dev test lint bench

node_modules: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch node_modules

## Serve the whole API on http://127.0.0.1:$${PORT:-3000}, with DynamoDB Local and a demo key.
dev: node_modules
	cargo run --quiet -p axiom-local

## Run every test, with DynamoDB Local started and stopped around them: the Rust suites, the
## function binaries under the Lambda runtime API, API fuzzing (Schemathesis against the OpenAPI
## document), then the Console in headless Chromium.
test: node_modules
	scripts/with-dynamodb-local sh -c 'cargo test --workspace && scripts/lambda-runtime-check && scripts/api-fuzz && scripts/browser-test'

## Formatting, clippy and the template linter, as CI runs them.
lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	cfn-lint template.yaml

## Benchmarks: the authorizer's per-request work (criterion) and usage latency with 100 vs
## 50,000 runs (on DynamoDB Local). Figures in docs/performance.md.
bench: node_modules
	cargo bench -p axiom-shared --bench authorizer
	scripts/with-dynamodb-local cargo bench -p axiom-tests --bench usage_latency
