# The two commands of the README. Everything else is a helper they call.
.PHONY: dev test lint bench chromium

node_modules: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch node_modules

## Serve the whole API on http://127.0.0.1:$${PORT:-3000}, with DynamoDB Local and a demo key.
dev: node_modules
	cargo run --quiet -p axiom-local

## Run every test, with DynamoDB Local and an SQS emulator (moto) started and stopped around them: the Rust suites, the
## function binaries under the Lambda runtime API, API fuzzing (Schemathesis against the OpenAPI
## document), then the Console in headless Chromium.
test: chromium node_modules
	scripts/with-dynamodb-local scripts/with-sqs sh -c 'cargo test --workspace && scripts/lambda-runtime-check && scripts/api-fuzz && scripts/browser-test'

## The browser tests' Chromium: installed from Debian's packages when missing (as root), else
## make test stops here, before any test, with the command to run.
chromium:
	@scripts/ensure-chromium

## Formatting, clippy and the template linter, as CI runs them.
lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	cfn-lint template.yaml

## Benchmarks (figures in docs/performance.md): the authorizer's per-request work (criterion);
## usage latency with 100 vs 50,000 runs; the authorizer path against a bare GetItem (handler,
## release gateway, `make dev`'s build); cold starts of every function next to a hello-world
## under a Lambda Runtime API emulator; one tenant's capacity. DynamoDB Local is started around them.
bench: node_modules
	scripts/bench
