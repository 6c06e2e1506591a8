package load

import "strings"

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// userIDBase is the sequence number of the first generated user id; it
// keeps them apart from sffake's default user (sequence 1).
const userIDBase = 1000

// makeID returns the 18-character id with key prefix prefix and sequence
// number n, in the form sffake uses: prefix, "0000", n in 8 base-62 digits
// and the case-safe suffix.
func makeID(prefix string, n uint64) string {
	digits := make([]byte, 8)
	for i := len(digits) - 1; i >= 0; i-- {
		digits[i] = base62[n%62]
		n /= 62
	}
	id15 := prefix + "0000" + string(digits)
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
	var b strings.Builder
	b.WriteString(id15)
	for block := range 3 {
		v := 0
		for i := range 5 {
			if c := id15[block*5+i]; c >= 'A' && c <= 'Z' {
				v |= 1 << i
			}
		}
		b.WriteByte(alphabet[v])
	}
	return b.String()
}
