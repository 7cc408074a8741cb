# Conveniences; the README's commands are scripts/devnet and scripts/test.
.PHONY: build test rpc rpc-check devnet

build:
	go build -o bin/ ./cmd/sidenode ./cmd/devnet

test:
	scripts/test

# Regenerate the protobuf and gRPC code from proto/.
rpc:
	scripts/proto

# Fail if the committed generated code drifts from proto/.
rpc-check:
	scripts/proto check

devnet:
	scripts/devnet
