package bulk

import (
	"errors"
	"testing"
)

func TestParsePage(t *testing.T) {
	t.Parallel()
	first := []string{"Id", "Name"}
	tests := []struct {
		scenario string
		header   []string
		body     string
		want     int
		rows     int
		err      bool
	}{
		{scenario: "first page", body: "\"Id\",\"Name\"\n\"1\",\"a\"\n", want: 1, rows: 1},
		{scenario: "later page repeats the header", header: first, body: "\"Id\",\"Name\"\n\"2\",\"b\"\n\"3\",\n", want: 2, rows: 2},
		{scenario: "later page without header", header: first, body: "\"2\",\"b\"\n", want: 1, rows: 1},
		{scenario: "crlf and embedded newline", body: "Id,Name\r\n\"1\",\"x\r\ny\"\r\n", want: 1, rows: 1},
		{scenario: "empty body, no rows", body: "", want: 0},
		{scenario: "header only", body: "Id,Name\n", want: 0},
		{scenario: "ragged row", body: "Id,Name\n1\n", want: -1, err: true},
		{scenario: "count mismatch", body: "Id,Name\n1,a\n", want: 2, err: true},
		{scenario: "bad quote", body: "Id,Name\n\"1,a\n", want: -1, err: true},
		{scenario: "empty column name", body: "Id,\n", want: -1, err: true},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			_, rows, err := parsePage([]byte(tt.body), tt.header, tt.want)
			if tt.err {
				if !errors.Is(err, ErrMalformedCSV) {
					t.Fatalf("got %v", err)
				}
				return
			}
			if err != nil || len(rows) != tt.rows {
				t.Fatalf("%d rows, %v", len(rows), err)
			}
		})
	}
}

func FuzzParsePage(f *testing.F) {
	f.Add([]byte("\"Id\",\"Name\"\n\"1\",\"a, \"\"b\"\"\"\n"), false, -1)
	f.Add([]byte("Id,Name\n1,\n"), true, 1)
	f.Add([]byte("\"x\ny\"\n"), false, 0)
	f.Fuzz(func(t *testing.T, body []byte, later bool, want int) {
		var header []string
		if later {
			header = []string{"Id", "Name"}
		}
		cols, rows, err := parsePage(body, header, want)
		if err != nil {
			if !errors.Is(err, ErrMalformedCSV) {
				t.Fatalf("error %v does not wrap ErrMalformedCSV", err)
			}
			return
		}
		if want >= 0 && len(rows) != want {
			t.Fatalf("%d rows, want %d", len(rows), want)
		}
		for _, r := range rows {
			if len(r) != len(cols) {
				t.Fatalf("row %q against columns %q", r, cols)
			}
		}
	})
}
