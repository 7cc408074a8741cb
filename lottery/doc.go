// Package lottery draws the ticket that may publish the next sidechain
// header.
//
// After each mainchain block h, every eligible ticket weighs
// value × (lock − h), and the winner is found by drawing a 256-bit number
// from the block hash and the sidechain id, reducing it modulo the total
// weight, and finding the first ticket, in chain order, whose running sum of
// weights exceeds it. Weights need 128-bit arithmetic.
//
// A draw must not cost time proportional to the number of tickets. Because
// an eligible ticket's weight is value·lock − h·value, two prefix-sum trees
// over the tickets in chain order, one summing value·lock and one summing
// value, give the total weight and the running sum at any ticket for any h.
// A draw is then a descent of O(log n) steps. A ticket enters both trees
// when it matures and leaves them when it expires or its publisher chain
// ends. The package applies those changes from a list of events keyed by
// height, so a block costs O(k log n) for its k changes, and a disconnected
// block reverses them.
//
// This package is a placeholder. The trees, the draw and their tests come
// with the issue that implements section 4 of the protocol. Its log
// subsystem tag is LOTT.
package lottery
