package avroframe

import (
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strconv"
)

// Version is one published version of a contract's schema: its number N,
// from the file name <name>_vN.avsc, and its text.
type Version struct {
	Number int
	Text   string
}

// Versions returns the published versions of the schema name, oldest
// first: the files of fsys's top directory, each of which must be named
// <name>_vN.avsc with N from 1. A directory without one is an error.
func Versions(fsys fs.FS, name string) ([]Version, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, err
	}
	file := regexp.MustCompile(`^` + regexp.QuoteMeta(name) + `_v([1-9][0-9]*)\.avsc$`)
	out := make([]Version, 0, len(entries))
	for _, entry := range entries {
		match := file.FindStringSubmatch(entry.Name())
		if match == nil {
			return nil, fmt.Errorf("schema file %s is not named %s_vN.avsc", entry.Name(), name)
		}
		n, err := strconv.Atoi(match[1])
		if err != nil {
			return nil, fmt.Errorf("schema file %s: %w", entry.Name(), err)
		}
		text, err := fs.ReadFile(fsys, entry.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, Version{Number: n, Text: string(text)})
	}
	if len(out) == 0 {
		return nil, errors.New("no embedded schema")
	}
	slices.SortFunc(out, func(a, b Version) int { return a.Number - b.Number })
	return out, nil
}
