package sffake

import (
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync"

	"github.com/google/uuid"
)

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// idSuffix computes the three-character case-safe suffix that turns a
// 15-character Salesforce id into its 18-character form: for each block of
// five characters, a letter from A-Z0-5 whose bits flag the block's
// upper-case letters.
func idSuffix(id15 string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
	var b strings.Builder
	for block := range 3 {
		n := 0
		for i := range 5 {
			if c := id15[block*5+i]; c >= 'A' && c <= 'Z' {
				n |= 1 << i
			}
		}
		b.WriteByte(alphabet[n])
	}
	return b.String()
}

// ID returns the 18-character id with key prefix prefix and sequence
// number n, the form of every id sffake issues: prefix, a fixed pod part
// "0000", the number in 8 base-62 digits, and the case-safe suffix.
func ID(prefix string, n uint64) string {
	digits := make([]byte, 8)
	for i := len(digits) - 1; i >= 0; i-- {
		digits[i] = base62[n%62]
		n /= 62
	}
	id15 := prefix + "0000" + string(digits)
	return id15 + idSuffix(id15)
}

// ValidID reports whether id is an 18-character id with a correct
// case-safe suffix and, when prefix is not empty, that key prefix.
func ValidID(id, prefix string) bool {
	if len(id) != 18 || (prefix != "" && !strings.HasPrefix(id, prefix)) {
		return false
	}
	for i := range 15 {
		if !strings.ContainsRune(base62, rune(id[i])) {
			return false
		}
	}
	return idSuffix(id[:15]) == id[15:]
}

// checkOrgID validates an org id given by option.
func checkOrgID(id string) error {
	if !ValidID(id, PrefixOrganization) {
		return fmt.Errorf("org id %q: want an 18-character id starting with %s", id, PrefixOrganization)
	}
	return nil
}

// randSource is the emulator's source of randomness for event ids and
// transaction keys; seeded, it makes them deterministic. It is safe for
// concurrent use.
type randSource struct {
	mu  sync.Mutex
	rng *rand.ChaCha8
}

func newRandSource(seed uint64) *randSource {
	var key [32]byte
	for i := range 8 {
		key[i] = byte(seed >> (8 * i))
	}
	return &randSource{rng: rand.NewChaCha8(key)}
}

func (r *randSource) Read(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rng.Read(p)
}

// uuid returns a random (version 4) UUID string.
func (r *randSource) uuid() string {
	u, err := uuid.NewRandomFromReader(io.Reader(r))
	if err != nil {
		// ChaCha8 never fails to read.
		panic(fmt.Sprintf("sffake: uuid: %v", err))
	}
	return u.String()
}
