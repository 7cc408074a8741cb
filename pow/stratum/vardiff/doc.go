// Package vardiff sets the difficulty of each Stratum connection so that
// its miner submits shares at a target rate, whatever its hashrate.
//
// A State follows one connection. It has no clock of its own: the caller
// passes the time of every share (State.Share) and, when no share comes,
// of its periodic checks (State.Idle). It is pure arithmetic on those
// times.
//
// The share rate is estimated by two exponential moving averages of the
// share count against time (their ratio is the smoothed inverse of the
// share interval): a fast one over 32 target intervals and a slow one
// over Config.SlowWindow intervals (1024 by default). Every
// RetargetEvery, or at once when shares flood in, the State decides:
//
//   - the fast average changes the difficulty when it finds the rate off
//     the target by a factor of 2 or more, by at least 4 standard
//     deviations of a Poisson count: a new miner, a miner that changed
//     its hashrate;
//   - the slow average changes it when its rate is outside the dead band
//     (Config.DeadBand, e.g. ±30%) by at least 3 standard deviations, once
//     it spans 64 target intervals;
//   - once after a coarse change (one aimed with fewer than SlowWindow/4
//     intervals, or the starting difficulty), the slow average refines the
//     difficulty when, over SlowWindow/4 intervals, it finds the rate off
//     by 3 standard deviations even within the dead band; a coarse
//     difficulty it finds right over SlowWindow/2 intervals is kept.
//
// A change aims at the estimated rate (a drop is at most 16-fold at a
// time) and restarts both averages, which held the old rate. Within the
// dead band, with the slow average precise, a miner of steady hashrate
// keeps its difficulty: the difficulty does not oscillate. The difficulty
// stays within [Min, Max] and never exceeds the network's difficulty,
// which wins over the floor.
//
// The property tests simulate miners of 1e3 to 1e15 H/s whose shares come
// as a Poisson process from a seeded generator, without a wall clock.
package vardiff
