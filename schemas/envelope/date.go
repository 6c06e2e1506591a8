package envelope

import (
	"fmt"
	"math"
	"time"
)

// Date is a calendar day without a time zone, the value of a Salesforce Date
// field. It avoids the off-by-one-day errors of carrying dates as midnight in
// some time zone. The zero value is not a valid date.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

const (
	secondsPerDay = 86400
	// maxDateYear bounds the years that can be checked without overflow; the
	// Avro date range (int32 days from 1970) is narrower still.
	maxDateYear = 6_000_000
)

// DateOf returns the calendar day of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{Year: y, Month: m, Day: d}
}

// ParseDate parses an ISO 8601 calendar date, "2006-01-02", as Salesforce
// REST and Bulk API return it.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("parse date %q: %w", s, err)
	}
	return DateOf(t), nil
}

// String returns d as "2006-01-02" (years outside 0-9999 print with as many
// digits as they need and a sign when negative).
func (d Date) String() string {
	if d.Year >= 0 && d.Year <= 9999 {
		return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
	}
	return fmt.Sprintf("%d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// IsValid reports whether d is a real calendar day within the range of the
// Avro date type, about 5.8 million years either side of 1970.
func (d Date) IsValid() bool {
	if d.Year < -maxDateYear || d.Year > maxDateYear || d.Month < time.January || d.Month > time.December || d.Day < 1 || d.Day > 31 {
		return false
	}
	if DateOf(d.In(time.UTC)) != d {
		return false // such as February 30
	}
	days := d.days()
	return days >= math.MinInt32 && days <= math.MaxInt32
}

// In returns midnight at the start of d in loc.
func (d Date) In(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// Before reports whether d is an earlier day than other.
func (d Date) Before(other Date) bool {
	if d.Year != other.Year {
		return d.Year < other.Year
	}
	if d.Month != other.Month {
		return d.Month < other.Month
	}
	return d.Day < other.Day
}

// days returns the number of days from 1970-01-01 to d; d must be within
// the checked year range.
func (d Date) days() int64 {
	// Midnight UTC is a whole number of days from the epoch, so the
	// division is exact for dates before 1970 too.
	return d.In(time.UTC).Unix() / secondsPerDay
}

// dateFromDays returns the date days after 1970-01-01.
func dateFromDays(days int64) Date {
	return DateOf(time.Unix(days*secondsPerDay, 0).UTC())
}
