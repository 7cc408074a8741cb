// Package vardiff sets the difficulty of each Stratum connection so that
// its miner submits shares at a target rate, whatever its hashrate.
//
// A State follows one connection. It has no clock of its own: the caller
// passes the time of every share (State.Share) and, when no share comes,
// of its periodic checks (State.Idle). The State estimates the share rate
// with an exponential moving average of the share intervals and changes
// the difficulty only when the rate is outside a dead band around the
// target and the difference is statistically significant, so that a
// miner of steady hashrate keeps its difficulty. The difficulty stays
// within the configured floor and ceiling and never exceeds the network's
// difficulty.
package vardiff
