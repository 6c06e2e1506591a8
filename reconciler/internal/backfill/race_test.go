//go:build race

package backfill

// raceEnabled is true when the tests run under the race detector, which
// multiplies memory several times: the full-size backfill is then cut.
const raceEnabled = true
