// Package proto holds the Protocol Buffers definitions of the sidenode's
// gRPC interfaces, and nothing else.
//
// The .proto files below form the buf module declared in the repository's
// buf.yaml and are checked with buf's STANDARD lint rules and, against the
// previous commit, its breaking-change rules. The Go code generated from
// them is committed next to the definitions (scripts/proto, or make rpc),
// and scripts/proto check fails when it no longer matches them, so that
// building the node never needs the protobuf toolchain.
//
//   - sidenode/p2p/v1: the peer protocol between sidenodes (package p2p).
//   - sidenode/api/v1: the node's control API (package api): node,
//     mainchain, sidechain, wallet and subscription services. Its REST
//     gateway (*.pb.gw.go) and OpenAPI document (api.swagger.json) are
//     generated from the HTTP rules of api_rest.yaml and the document
//     header of api_openapi.yaml.
package proto
