// Package api serves the sidenode's gRPC API and its REST gateway.
//
// The services are defined in the proto package. This package implements
// them on top of the node's state, and serves the same methods as REST
// through a gateway whose routes are declared beside the protos.
//
// Every method has an entry in a permission map from its full gRPC name to
// the entity:action pairs it needs. A method that is missing from the map
// is refused, and a test keeps the map complete. List methods are paginated
// from the start, streams are bounded, and hashes in URL paths are hex, never
// base64. The API reports the node's sync state, including that of the
// mainchain backend, instead of holding startup until the backend has
// synced.
//
// This package is a placeholder. The server, the gateway and the permission
// map come with the issue that implements the API. Its log subsystem tag is
// RPCS.
package api
