// Package proto holds the Protocol Buffers definitions of the sidenode's
// gRPC API.
//
// The .proto files in this directory form the buf module declared in the
// repository's buf.yaml, and are checked with buf's STANDARD lint rules and
// its breaking-change rules. The Go code generated from them (messages,
// gRPC services and REST gateway routes) is committed next to the
// definitions, and a check fails when it no longer matches them, so that
// building the node never needs the protobuf toolchain.
//
// This package is a placeholder: it has no definitions yet. The services
// and their generated code come with the issue that defines the API.
package proto
