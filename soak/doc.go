// Package soak kills one node of a running network with SIGKILL, over and
// over, at random moments, restarts it, and checks each time that it comes
// back to the same state as the others.
//
// Run drives the runs against a Network, which the caller wires to real
// processes (cmd/soak wires it to a devnet of btcd and sidenodes). Each run
//
//  1. waits until every node reports the same mainchain tip, sidechain tip
//     and state hash, at a mainchain height above the one the previous run
//     ended at, so that the node restarted last has followed the chain
//     since;
//  2. waits for the next mainchain block and a random delay after it, drawn
//     either uniformly across the block interval or uniformly across a
//     short window after the block, when the nodes are connecting it, and
//     kills the victim (the victims take turns);
//  3. restarts the victim at once, waits for the next block, and polls
//     every node until all of them again report the same mainchain tip,
//     sidechain tip and state hash, at that block's height or above, then
//     asks each node for its state hash at that height (GetStateHash) and
//     checks that they are equal. Agreement on a block the victim met only
//     after its restart shows what it missed while it was down, such as a
//     sideblock body its peers relayed meanwhile. The time from the restart
//     to that moment is the run's lag, and the time from that block's
//     mining to it the block lag: about the time the nodes take to connect
//     a block, unless the victim falls behind.
//
// A run that does not come to agreement within Config.CatchUp fails the
// soak with a *Mismatch, which carries every node's tips and its state
// hashes at every height from the kill's block on, so that where the
// divergence began can be read off the report. Nodes that received a sideblock body at different times
// can disagree on the state hash at one height and agree again from the
// next block on (docs/protocol.md, "The state hash"), so agreement is
// awaited rather than demanded at one fixed height.
//
// Time is read and waited on through a Clock, so that tests can drive the
// soak with a clock of their own.
package soak
