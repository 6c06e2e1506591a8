package publish

import (
	"encoding/json"
	"fmt"

	"github.com/sfsync/sfsync/schemas/tablelayout"
)

// Newer reports whether v is after w.
func (v Version) Newer(w Version) bool {
	return v.Commit > w.Commit || v.Commit == w.Commit && v.Seq > w.Seq
}

// Newest returns the newest version of a row: the greatest of its base
// version and the versions in its versions column
// ([tablelayout.Versions], a JSON object of field names to
// [commit, seq]). An empty column holds no versions.
func Newest(base Version, versions []byte) (Version, error) {
	newest := base
	if len(versions) == 0 {
		return newest, nil
	}
	var except map[string][2]int64
	if err := json.Unmarshal(versions, &except); err != nil {
		return Version{}, fmt.Errorf("decode %s: %w", tablelayout.Versions, err)
	}
	for _, x := range except {
		if v := (Version{Commit: x[0], Seq: int32(x[1])}); v.Newer(newest) {
			newest = v
		}
	}
	return newest, nil
}
