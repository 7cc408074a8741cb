package powhash

import (
	"fmt"
	"strings"
)

// Algorithm is a proof-of-work hash function. The zero value is no
// algorithm.
type Algorithm uint8

// The algorithms a pow network can switch between by height.
const (
	// SHA256d is Bitcoin's double SHA-256.
	SHA256d Algorithm = iota + 1
	// RandomX is Monero's CPU-oriented hash (pow/randomx).
	RandomX
	// Ethash is Ethereum's memory-hard hash (pow/ethash).
	Ethash

	numAlgorithms = iota
)

var algorithmNames = [...]string{
	SHA256d: "sha256d",
	RandomX: "randomx",
	Ethash:  "ethash",
}

// Valid reports whether a is one of the defined algorithms.
func (a Algorithm) Valid() bool {
	return a >= SHA256d && a <= Ethash
}

// String returns the algorithm's name as params and flags spell it:
// sha256d, randomx or ethash.
func (a Algorithm) String() string {
	if a.Valid() {
		return algorithmNames[a]
	}
	return fmt.Sprintf("algorithm(%d)", uint8(a))
}

// ParseAlgorithm returns the algorithm a name spells, in any case.
func ParseAlgorithm(s string) (Algorithm, error) {
	for a := SHA256d; a <= Ethash; a++ {
		if strings.EqualFold(s, algorithmNames[a]) {
			return a, nil
		}
	}
	return 0, fmt.Errorf("unknown proof-of-work algorithm %q: want sha256d, randomx or ethash", s)
}
