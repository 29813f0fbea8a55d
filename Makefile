# The two commands of the README. Everything else is a helper they call.
.PHONY: dev test lint

node_modules: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch node_modules

## Serve the whole API on http://127.0.0.1:$${PORT:-3000}, with DynamoDB Local and a demo key.
dev: node_modules
	cargo run --quiet -p axiom-local

## Run every test (Rust, then the Console in headless Chromium), with DynamoDB Local started
## and stopped around them.
test: node_modules
	scripts/with-dynamodb-local sh -c 'cargo test --workspace && scripts/browser-test'

## Formatting, clippy and the template linter, as CI runs them.
lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	cfn-lint template.yaml
