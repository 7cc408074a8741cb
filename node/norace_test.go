//go:build !race

package node_test

// raceBuildFlags builds the sidenode processes of the integration tests
// without the race detector, as the tests run without it.
var raceBuildFlags []string
