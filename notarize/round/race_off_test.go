//go:build !race

package round

// raceOn: the race detector slows signature checks tenfold.
const raceOn = false
