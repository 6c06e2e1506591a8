package sffake

import (
	"encoding/json"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/linkedin/goavro/v2"
)

// FuzzNormalize feeds normalize every Go type a caller may pass for every
// field type. A value it accepts must be in the form records hold, be
// unchanged by a second normalize, and encode in the field's Avro type
// inside its nullable union and decode back to itself, as change events
// carry it; a value it refuses must wrap ErrInvalidValue.
func FuzzNormalize(f *testing.F) {
	f.Add(uint8(TypeDate), uint8(5), int64(1767225600), int64(0), int64(0), 0.0, "")
	f.Add(uint8(TypeDateTime), uint8(5), int64(1767225600), int64(123456789), int64(3600), 0.0, "")
	f.Add(uint8(TypeTime), uint8(6), int64(0), int64(23*time.Hour+59*time.Minute), int64(0), 0.0, "")
	f.Add(uint8(TypeInt), uint8(3), int64(math.MaxInt32)+1, int64(0), int64(0), 0.0, "")
	f.Add(uint8(TypeDouble), uint8(0), int64(0), int64(0), int64(0), 12.5, "")
	f.Add(uint8(TypeString), uint8(7), int64(0), int64(0), int64(0), 0.0, "Acme")
	f.Add(uint8(TypeDate), uint8(5), int64(-62135596800), int64(0), int64(0), 0.0, "")
	f.Add(uint8(TypeDateTime), uint8(5), int64(math.MaxInt64/1000), int64(0), int64(0), 0.0, "")
	f.Fuzz(func(t *testing.T, typ, kind uint8, n, nanos, zone int64, x float64, s string) {
		ft := FieldType(typ%uint8(TypeTime) + 1)
		var v any
		switch kind % 9 {
		case 0:
			v = x
		case 1:
			v = float32(x)
		case 2:
			v = int(n)
		case 3:
			v = n
		case 4:
			v = int32(n)
		case 5:
			v = time.Unix(n, nanos).In(time.FixedZone("z", int(zone%(26*3600))))
		case 6:
			v = time.Duration(nanos)
		case 7:
			v = s
		case 8:
			v = n%2 == 0
		}
		got, err := normalize(ft, v)
		if err != nil {
			if !errors.Is(err, ErrInvalidValue) {
				t.Fatalf("normalize(%v, %#v): %v does not wrap ErrInvalidValue", ft, v, err)
			}
			return
		}
		switch g := got.(type) {
		case time.Time:
			if g.Location() != time.UTC || g.Nanosecond()%int(time.Millisecond) != 0 {
				t.Fatalf("normalize(%v, %v) = %v, not UTC whole milliseconds", ft, v, g)
			}
			if ft == TypeDate && (g.Hour() != 0 || g.Minute() != 0 || g.Second() != 0 || g.Nanosecond() != 0) {
				t.Fatalf("normalize(%v, %v) = %v, not a whole day", ft, v, g)
			}
		case time.Duration:
			if g < 0 || g >= 24*time.Hour || g%time.Millisecond != 0 {
				t.Fatalf("normalize(%v, %v) = %v, not a time of day in whole milliseconds", ft, v, g)
			}
		case string, float64, int32, bool:
		default:
			t.Fatalf("normalize(%v, %#v) = %T, not a form records hold", ft, v, got)
		}
		again, err := normalize(ft, got)
		if err != nil || !equalValues(again, got) {
			t.Fatalf("normalize(%v, %#v) = %#v, normalized again %#v, %v", ft, v, got, again, err)
		}
		var b typeBuilder
		at, _ := b.avro(ft)
		if at == nil {
			at = "string"
		}
		schema, err := json.Marshal(map[string]any{"type": "record", "name": "R", "fields": []any{
			map[string]any{"name": "f", "type": []any{"null", at}},
		}})
		if err != nil {
			t.Fatal(err)
		}
		codec, err := goavro.NewCodec(string(schema))
		if err != nil {
			t.Fatal(err)
		}
		bin, err := codec.BinaryFromNative(nil, map[string]any{"f": avroUnion(ft, got)})
		if err != nil {
			t.Fatalf("normalize(%v, %#v) = %#v, which Avro cannot encode: %v", ft, v, got, err)
		}
		native, _, err := codec.NativeFromBinary(bin)
		if err != nil {
			t.Fatal(err)
		}
		var back any
		for _, w := range native.(map[string]any)["f"].(map[string]any) {
			back = w
		}
		switch ft {
		case TypeDateTime:
			back = time.UnixMilli(back.(int64)).UTC()
		case TypeTime:
			back = time.Duration(back.(int64)) * time.Millisecond
		case TypeDate:
			back = back.(time.Time).UTC()
		}
		same := equalValues(back, got)
		if x, ok := got.(float64); ok {
			y, _ := back.(float64)
			same = math.Float64bits(x) == math.Float64bits(y)
		}
		if !same {
			t.Fatalf("normalize(%v, %#v) = %#v, through Avro %#v", ft, v, got, back)
		}
	})
}
