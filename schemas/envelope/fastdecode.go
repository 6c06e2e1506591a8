package envelope

import (
	"encoding/binary"
	"errors"
	"math"
	"time"
)

// The body of a frame written with envelope_v1.avsc, the schema nearly
// every frame carries, is decoded by [decodeV1] straight into an
// Envelope, without goavro's generic maps: Avro's binary encoding of a
// fixed schema is a plain sequence of fields. It accepts a subset of what
// goavro accepts and gives the same Envelope (FuzzDecodeV1 checks both);
// on anything it refuses, Decode decodes the frame again the general way,
// which gives the error.

// errV1 is decodeV1's one error: the caller falls back to goavro, whose
// error names the problem.
var errV1 = errors.New("not a well-formed envelope_v1 body")

// v1ChangeTypes are the symbols of envelope_v1.avsc's ChangeType enum,
// in the schema's order.
var v1ChangeTypes = [...]ChangeType{ChangeCreate, ChangeUpdate, ChangeDelete, ChangeUndelete,
	ChangeGapCreate, ChangeGapUpdate, ChangeGapDelete, ChangeGapUndelete, ChangeGapOverflow, ChangeSnapshot}

// v1Reader reads Avro binary values from the front of b.
type v1Reader struct {
	b   []byte
	err error
}

func (r *v1Reader) fail() {
	r.err, r.b = errV1, nil
}

// long reads a zigzag varint of at most 10 bytes.
func (r *v1Reader) long() int64 {
	var v uint64
	for i := 0; i < len(r.b) && i < binary.MaxVarintLen64; i++ {
		c := r.b[i]
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			if i == binary.MaxVarintLen64-1 && c > 1 {
				break
			}
			r.b = r.b[i+1:]
			return int64(v>>1) ^ -int64(v&1)
		}
	}
	r.fail()
	return 0
}

// int reads a zigzag varint of at most 5 bytes that fits 32 bits.
func (r *v1Reader) int() int32 {
	before := len(r.b)
	v := r.long()
	if r.err != nil || before-len(r.b) > 5 || v != int64(int32(v)) {
		r.fail()
		return 0
	}
	return int32(v)
}

// bytes reads a length and that many bytes, which alias r's input.
func (r *v1Reader) bytes() []byte {
	n := r.long()
	if r.err != nil || n < 0 || n > int64(len(r.b)) {
		r.fail()
		return nil
	}
	out := r.b[:n:n]
	r.b = r.b[n:]
	return out
}

func (r *v1Reader) string() string { return string(r.bytes()) }

// fixed reads n bytes.
func (r *v1Reader) fixed(n int) []byte {
	if len(r.b) < n {
		r.fail()
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

// count reads the item count of an array or map block, 0 at the end; a
// negative count is followed by the block's size in bytes, which is
// read and not used. A count above the bytes left cannot be honest (each
// item takes a byte at least) and fails.
func (r *v1Reader) count() int {
	n := r.long()
	if n < 0 {
		n = -n
		r.long()
	}
	if r.err != nil || n < 0 || n > int64(len(r.b)) {
		r.fail()
		return 0
	}
	return int(n)
}

func (r *v1Reader) timestamp() time.Time { return time.UnixMilli(r.long()).UTC() }

func (r *v1Reader) strings() []string {
	var out []string
	for n := r.count(); n > 0; n = r.count() {
		for range n {
			out = append(out, r.string())
		}
	}
	return out
}

func (r *v1Reader) values() map[string]Value {
	var out map[string]Value
	for n := r.count(); n > 0; n = r.count() {
		if out == nil {
			out = make(map[string]Value, n)
		}
		for range n {
			name := r.string()
			out[name] = r.value()
		}
	}
	return out
}

// value reads one member of the values union, whose branches are, in
// order: null, boolean, int, long, float, double, string, bytes, Date,
// DateTime, Time, Decimal.
func (r *v1Reader) value() Value {
	switch r.long() {
	case 0:
		return Value{}
	case 1:
		b := r.fixed(1)
		if r.err != nil || b[0] > 1 {
			r.fail()
			return Value{}
		}
		return BoolValue(b[0] == 1)
	case 2:
		return IntValue(r.int())
	case 3:
		return LongValue(r.long())
	case 4:
		b := r.fixed(4)
		if r.err != nil {
			return Value{}
		}
		return FloatValue(math.Float32frombits(binary.LittleEndian.Uint32(b)))
	case 5:
		b := r.fixed(8)
		if r.err != nil {
			return Value{}
		}
		return DoubleValue(math.Float64frombits(binary.LittleEndian.Uint64(b)))
	case 6:
		return StringValue(r.string())
	case 7:
		return Value{kind: KindBytes, str: r.string()}
	case 8:
		return DateValue(dateFromDays(int64(r.int())))
	case 9:
		return Value{kind: KindDateTime, num: uint64(r.long())}
	case 10:
		return Value{kind: KindTime, num: uint64(int64(r.int()))}
	case 11:
		unscaled := r.bytes()
		scale := r.int()
		return DecimalValue(NewDecimal(fromTwosComplement(unscaled), scale))
	}
	r.fail()
	return Value{}
}

// decodeV1 decodes the body of a frame written with envelope_v1.avsc, or
// returns errV1.
func decodeV1(body []byte) (*Envelope, error) {
	r := &v1Reader{b: body}
	e := &Envelope{
		EventID:       r.string(),
		OrgID:         r.string(),
		SourceChannel: r.string(),
	}
	if replay := r.bytes(); len(replay) > 0 {
		e.ReplayID = append([]byte(nil), replay...)
	}
	e.Entity = r.string()
	e.RecordID = r.string()
	if ct := r.long(); ct >= 0 && ct < int64(len(v1ChangeTypes)) {
		e.ChangeType = v1ChangeTypes[ct]
	} else {
		r.fail()
	}
	e.CommitTimestamp = r.timestamp()
	e.CommitNumber = r.long()
	e.SequenceNumber = r.int()
	e.TransactionKey = r.string()
	e.CommitUser = r.string()
	e.ChangedFields = r.strings()
	e.NulledFields = r.strings()
	e.Values = r.values()
	e.PartitionKey = r.string()
	e.ProducedAt = r.timestamp()
	if r.err != nil || len(r.b) != 0 {
		return nil, errV1
	}
	return e, nil
}
