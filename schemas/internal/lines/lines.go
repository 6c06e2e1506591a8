package lines

import (
	"fmt"
	"strings"
)

// Join returns the String of each item, one a line, without a final
// newline; "" for none.
func Join[S fmt.Stringer](items []S) string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.String()
	}
	return strings.Join(out, "\n")
}
