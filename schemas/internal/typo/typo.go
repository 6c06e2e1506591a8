package typo

import "strings"

// maxLen bounds the names Distance compares, so that hostile input cannot
// make it quadratic in a long string.
const maxLen = 64

// Distance is the Levenshtein distance of a and b, counting a swap of two
// adjacent bytes as one edit (optimal string alignment). Names longer
// than 64 bytes are 64 apart from everything.
func Distance(a, b string) int {
	if len(a) > maxLen || len(b) > maxLen {
		return maxLen
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// Closest returns the candidate nearest word, ignoring case, when it is
// within maxEdits edits, else "". The first of equally near candidates
// wins.
func Closest(word string, candidates []string, maxEdits int) string {
	best, bestD := "", maxEdits+1
	word = strings.ToLower(word)
	for _, c := range candidates {
		if d := Distance(word, strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}
