//go:build !race

package backfill

// raceEnabled is true when the tests run under the race detector.
const raceEnabled = false
