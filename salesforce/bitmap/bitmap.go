package bitmap

import (
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"strings"
)

// Errors that [Decode] and [Encode] wrap; test for them with [errors.Is].
var (
	// ErrMalformed reports an element that is not "0x<hex>" (as element 0)
	// or "<index>-0x<hex>".
	ErrMalformed = errors.New("malformed")
	// ErrOutOfRange reports a bit or compound index beyond the schema's
	// fields or beyond a compound field's components: the bitmap does not
	// belong to the schema, or it is corrupt.
	ErrOutOfRange = errors.New("out of range")
	// ErrNotCompound reports a "P-0x…" element whose index P names a field
	// that has no components.
	ErrNotCompound = errors.New("not a compound field")
	// ErrUnknownField reports a name given to [Encode] that the schema does
	// not have.
	ErrUnknownField = errors.New("unknown field")
)

// Field is one top-level field of a change event schema.
type Field struct {
	// Name is the field's name, e.g. "Fax" or "BillingAddress".
	Name string
	// Components are the names of a compound field's components in schema
	// order, e.g. "Street", "City", …; empty for any other field.
	Components []string
}

// Compound reports whether f has components.
func (f Field) Compound() bool { return len(f.Components) > 0 }

// Schema is the field layout that change event bitmaps index: the
// top-level fields of the change event record in schema order, index 0
// being ChangeEventHeader. A Schema is read-only once built and safe for
// concurrent use by Decode and Encode.
type Schema struct {
	// Fields are the record's fields in schema order.
	Fields []Field
}

// Decode returns the names of the fields that the bitmap list elems sets,
// in schema order: a top-level field by its name ("Fax"), a component of a
// compound field as "Parent.Component" ("BillingAddress.City"). Within one
// top-level field its own name comes before its components. It returns nil
// for an empty list or one whose bitmaps are all zero.
//
// Element 0 is the top-level bitmap only when it starts with "0x"; it may
// be absent, so that element 0 is already a "P-0x…" element. Hex digits may
// be of either case and of any count. A compound field's bit in the
// top-level bitmap decodes to the field's own name, meaning the field as a
// whole (Account's Name when it holds a plain string); several elements for
// the same compound field are merged.
//
// Decode fails, naming the element, on an element of another shape, a
// top-level bitmap after element 0, a set bit beyond the schema's fields or
// the compound's components, or a P that is out of range or not a compound
// field.
func Decode(s Schema, elems []string) ([]string, error) {
	var (
		top   []uint64
		parts []part
		count int
	)
	for i, e := range elems {
		p, hex, err := split(i, e)
		if err != nil {
			return nil, err
		}
		if p < 0 {
			top, err = parseHex(hex, len(s.Fields))
			if err != nil {
				return nil, elemError(i, e, err, "fields")
			}
			count += popcount(top)
			continue
		}
		if p >= len(s.Fields) {
			return nil, fmt.Errorf("%s: %w: compound index %d but the schema has %d fields",
				elemContext(i, e), ErrOutOfRange, p, len(s.Fields))
		}
		f := s.Fields[p]
		if !f.Compound() {
			return nil, fmt.Errorf("%s: %w: index %d is %s", elemContext(i, e), ErrNotCompound, p, f.Name)
		}
		b, err := parseHex(hex, len(f.Components))
		if err != nil {
			return nil, elemError(i, e, err, "components of "+f.Name)
		}
		count += popcount(b)
		parts = append(parts, part{index: p, bits: b})
	}
	if count == 0 {
		return nil, nil
	}
	parts = mergeParts(parts)

	names := make([]string, 0, count)
	for i := range s.Fields {
		if !isSet(top, i) && (len(parts) == 0 || parts[0].index != i) {
			continue
		}
		f := s.Fields[i]
		if isSet(top, i) {
			names = append(names, f.Name)
		}
		if len(parts) > 0 && parts[0].index == i {
			for j, c := range f.Components {
				if isSet(parts[0].bits, j) {
					names = append(names, f.Name+"."+c)
				}
			}
			parts = parts[1:]
		}
	}
	return names, nil
}

// Encode returns the bitmap list that names the given fields, as
// Salesforce writes it: first "0x…" for the top-level fields when there
// are any, then "P-0x…" for each compound field with named components,
// ordered by P; hex digits upper case, a whole number of bytes, no leading
// zero bytes ("7-0x06"). It returns an empty, non-nil slice when names is
// empty, so the list serializes as [] rather than null.
//
// A name is a top-level field name or "Parent.Component". Components go
// only into "P-0x…" elements, never into the top-level bitmap; a compound
// field's own name sets its top-level bit, meaning the field as a whole,
// which is how [Decode] reads that bit. Duplicate names are allowed. Encode
// fails with [ErrUnknownField] on a name the schema does not have.
func Encode(s Schema, names []string) ([]string, error) {
	var (
		top   []uint64
		parts []part
	)
	for _, name := range names {
		if i := s.index(name); i >= 0 {
			top = setBit(top, i)
			continue
		}
		parent, comp, ok := strings.Cut(name, ".")
		p := s.index(parent)
		if !ok || p < 0 {
			return nil, fmt.Errorf("encode %q: %w", name, ErrUnknownField)
		}
		j := slices.Index(s.Fields[p].Components, comp)
		if j < 0 {
			return nil, fmt.Errorf("encode %q: %w: %s has no component %s", name, ErrUnknownField, parent, comp)
		}
		parts = append(parts, part{index: p, bits: setBit(nil, j)})
	}
	parts = mergeParts(parts)

	out := make([]string, 0, 1+len(parts))
	if popcount(top) > 0 {
		out = append(out, "0x"+upperHex(top))
	}
	for _, pt := range parts {
		out = append(out, fmt.Sprintf("%d-0x%s", pt.index, upperHex(pt.bits)))
	}
	return out, nil
}

// index returns the index of the top-level field called name, or -1.
func (s Schema) index(name string) int {
	for i, f := range s.Fields {
		if f.Name == name {
			return i
		}
	}
	return -1
}

// part is the decoded bitmap of one compound field.
type part struct {
	index int
	bits  []uint64
}

// mergeParts sorts parts by index and ORs together parts of the same index.
func mergeParts(parts []part) []part {
	if len(parts) < 2 {
		return parts
	}
	slices.SortStableFunc(parts, func(a, b part) int { return a.index - b.index })
	out := parts[:1]
	for _, p := range parts[1:] {
		last := &out[len(out)-1]
		if p.index != last.index {
			out = append(out, p)
			continue
		}
		for w, v := range p.bits {
			last.bits = setWord(last.bits, w, v)
		}
	}
	return out
}

// split parses the shape of element i: it returns p = -1 and the hex digits
// of a top-level "0x…" element (allowed only as element 0), or the compound
// index p and hex digits of a "P-0x…" element.
func split(i int, e string) (p int, hex string, err error) {
	if h, ok := strings.CutPrefix(e, "0x"); ok {
		if i != 0 {
			return 0, "", fmt.Errorf("%s: %w: a top-level bitmap may only be element 0", elemContext(i, e), ErrMalformed)
		}
		return -1, h, nil
	}
	idx, h, ok := strings.Cut(e, "-")
	if !ok {
		return 0, "", fmt.Errorf(`%s: %w: want "0x<hex>" or "<index>-0x<hex>"`, elemContext(i, e), ErrMalformed)
	}
	if idx == "" {
		return 0, "", fmt.Errorf("%s: %w: missing compound index", elemContext(i, e), ErrMalformed)
	}
	h, ok = strings.CutPrefix(h, "0x")
	if !ok {
		return 0, "", fmt.Errorf(`%s: %w: missing "0x" after the index`, elemContext(i, e), ErrMalformed)
	}
	for _, c := range []byte(idx) {
		if c < '0' || c > '9' {
			return 0, "", fmt.Errorf("%s: %w: compound index %q is not a decimal number", elemContext(i, e), ErrMalformed, idx)
		}
		p = p*10 + int(c-'0')
		if p > maxIndex {
			// Far beyond any schema; stop before the int overflows.
			return 0, "", fmt.Errorf("%s: %w: compound index %s is too large", elemContext(i, e), ErrOutOfRange, idx)
		}
	}
	return p, h, nil
}

// maxIndex bounds compound indexes while parsing; Salesforce objects have
// at most a few thousand fields.
const maxIndex = 1 << 24

// rangeError is parseHex's report of a set bit at or beyond its limit.
type rangeError struct{ bit, limit int }

func (e *rangeError) Error() string { return fmt.Sprintf("bit %d set", e.bit) }

// parseHex reads the big-endian hex number h into a little-endian bitset.
// It fails on an empty h, a non-hex digit, or a set bit at or beyond limit
// (a *rangeError).
func parseHex(h string, limit int) ([]uint64, error) {
	if h == "" {
		return nil, errors.New("no hex digits")
	}
	var set []uint64
	for k := range len(h) {
		c := h[len(h)-1-k] // digit k counted from the least significant end
		v, ok := hexValue(c)
		if !ok {
			return nil, fmt.Errorf("invalid hex digit %q", c)
		}
		if v == 0 {
			continue
		}
		if hi := 4*k + bits.Len8(v) - 1; hi >= limit {
			// Report the highest offending bit; keep scanning for bad digits first.
			if err := checkHex(h[:len(h)-1-k]); err != nil {
				return nil, err
			}
			return nil, &rangeError{bit: highestBit(h), limit: limit}
		}
		set = setWord(set, 4*k/64, uint64(v)<<(4*k%64))
	}
	return set, nil
}

// checkHex reports the first non-hex digit of h.
func checkHex(h string) error {
	for _, c := range []byte(h) {
		if _, ok := hexValue(c); !ok {
			return fmt.Errorf("invalid hex digit %q", c)
		}
	}
	return nil
}

// highestBit returns the index of the highest set bit of the valid hex
// number h, which is not zero.
func highestBit(h string) int {
	for i, c := range []byte(h) {
		if v, _ := hexValue(c); v != 0 {
			return 4*(len(h)-1-i) + bits.Len8(v) - 1
		}
	}
	return -1
}

func hexValue(c byte) (uint8, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// upperHex formats the non-zero bitset b as a big-endian hex number with
// upper-case digits, an even number of them and no leading zero byte.
func upperHex(b []uint64) string {
	const digits = "0123456789ABCDEF"
	hi := -1
	for w := len(b) - 1; w >= 0; w-- {
		if b[w] != 0 {
			hi = 64*w + bits.Len64(b[w]) - 1
			break
		}
	}
	nbytes := hi/8 + 1
	out := make([]byte, 2*nbytes)
	for k := range 2 * nbytes {
		bit := 4 * k
		v := (b[bit/64] >> (bit % 64)) & 0xF
		out[len(out)-1-k] = digits[v]
	}
	return string(out)
}

func isSet(b []uint64, i int) bool {
	return i/64 < len(b) && b[i/64]&(1<<(i%64)) != 0
}

func setBit(b []uint64, i int) []uint64 {
	return setWord(b, i/64, 1<<(i%64))
}

// setWord ORs v into word w of b, growing b as needed.
func setWord(b []uint64, w int, v uint64) []uint64 {
	if w >= len(b) {
		b = append(b, make([]uint64, w+1-len(b))...)
	}
	b[w] |= v
	return b
}

func popcount(b []uint64) int {
	n := 0
	for _, w := range b {
		n += bits.OnesCount64(w)
	}
	return n
}

// elemContext names element i for an error message, shortening long
// values.
func elemContext(i int, e string) string {
	const maxLen = 40
	if len(e) > maxLen {
		e = e[:maxLen] + "…"
	}
	return fmt.Sprintf("bitmap element %d %q", i, e)
}

// elemError wraps a parseHex error of element i whose bitmap ranges over
// what.
func elemError(i int, e string, err error, what string) error {
	if re, ok := errors.AsType[*rangeError](err); ok {
		return fmt.Errorf("%s: %w: bit %d set but there are %d %s", elemContext(i, e), ErrOutOfRange, re.bit, re.limit, what)
	}
	return fmt.Errorf("%s: %w: %w", elemContext(i, e), ErrMalformed, err)
}
