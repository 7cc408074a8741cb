//go:build race

package node_test

// raceBuildFlags builds the sidenode processes of the integration tests
// with the race detector when the tests run with it, so that races in a
// running node fail the tests too (see checkRaces).
var raceBuildFlags = []string{"-race"}
