package stdlite

import (
	"errors"
	"time"
)

// ParseTime reads an RFC 3339 time as encoding/json writes it
// (2006-01-02T15:04:05.999999999Z07:00), in UTC.
func ParseTime(s string) (time.Time, error) {
	bad := errors.New("not an RFC 3339 time: " + Quote(s))
	num := func(from, n int) (int, bool) {
		if from+n > len(s) {
			return 0, false
		}
		v := 0
		for _, c := range []byte(s[from : from+n]) {
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		return v, true
	}
	if len(s) < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' && s[10] != 't' || s[13] != ':' || s[16] != ':' {
		return time.Time{}, bad
	}
	y, ok1 := num(0, 4)
	mo, ok2 := num(5, 2)
	d, ok3 := num(8, 2)
	h, ok4 := num(11, 2)
	mi, ok5 := num(14, 2)
	sec, ok6 := num(17, 2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) || h > 23 || mi > 59 || sec > 59 {
		return time.Time{}, bad
	}
	i, ns := 19, 0
	if i < len(s) && s[i] == '.' {
		i++
		digits := 0
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			if digits < 9 {
				ns = ns*10 + int(s[i]-'0')
				digits++
			}
			i++
		}
		if digits == 0 {
			return time.Time{}, bad
		}
		for ; digits < 9; digits++ {
			ns *= 10
		}
	}
	unix := daysFromCivil(y, mo, d)*86400 + int64(h*3600+mi*60+sec)
	switch {
	case i < len(s) && (s[i] == 'Z' || s[i] == 'z') && i+1 == len(s):
	case i+6 == len(s) && (s[i] == '+' || s[i] == '-') && s[i+3] == ':':
		oh, ok1 := num(i+1, 2)
		om, ok2 := num(i+4, 2)
		if !ok1 || !ok2 {
			return time.Time{}, bad
		}
		off := int64(oh*3600 + om*60)
		if s[i] == '+' {
			off = -off
		}
		unix += off
	default:
		return time.Time{}, bad
	}
	return time.Unix(unix, int64(ns)).UTC(), nil
}

// Dates without time.Date and Time.Date, which bring the time zone
// database code into the wasm (about 10 KB gzipped): Howard Hinnant's
// conversions between proleptic Gregorian dates and days since 1970-01-01.

// daysFromCivil is the number of days from 1970-01-01 to y-m-d.
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := floorDiv(int64(y), 400)
	yoe := int64(y) - era*400                       // [0, 399]
	doy := (153*int64((m+9)%12)+2)/5 + int64(d) - 1 // [0, 365]
	doe := yoe*365 + yoe/4 - yoe/100 + doy          // [0, 146096]
	return era*146097 + doe - 719468
}

// civilFromDays is the date days after 1970-01-01.
func civilFromDays(days int64) (y, m, d int) {
	z := days + 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097                                  // [0, 146096]
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365 // [0, 399]
	doy := doe - (365*yoe + yoe/4 - yoe/100)               // [0, 365]
	mp := (5*doy + 2) / 153                                // [0, 11], from March
	d = int(doy - (153*mp+2)/5 + 1)
	m = int(mp + 3)
	if m > 12 {
		m -= 12
	}
	y = int(yoe + era*400)
	if m <= 2 {
		y++
	}
	return y, m, d
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b < 0 {
		q--
	}
	return q
}

// daysIn is the number of days of month m of year y.
func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

func AppendTime(b []byte, t time.Time) []byte {
	unix := t.Unix()
	y, mo, d := civilFromDays(floorDiv(unix, 86400))
	secs := int(unix - floorDiv(unix, 86400)*86400)
	h, mi, s := secs/3600, secs/60%60, secs%60
	b = appendPadded(b, y, 4)
	b = append(b, '-')
	b = appendPadded(b, mo, 2)
	b = append(b, '-')
	b = appendPadded(b, d, 2)
	b = append(b, 'T')
	b = appendPadded(b, h, 2)
	b = append(b, ':')
	b = appendPadded(b, mi, 2)
	b = append(b, ':')
	b = appendPadded(b, s, 2)
	if ns := t.Nanosecond(); ns > 0 {
		digits := 9
		for ns%10 == 0 {
			ns /= 10
			digits--
		}
		b = append(b, '.')
		b = appendPadded(b, ns, digits)
	}
	return append(b, 'Z')
}

// appendPadded appends v in decimal, zero-padded to width digits. Not
// inlined: its six inlined copies cost background.wasm 1,354 bytes gzipped
// (measured with Go 1.26).
//
//go:noinline
func appendPadded(b []byte, v, width int) []byte {
	var buf [12]byte
	i := len(buf)
	for ; width > 0 || v > 0; width-- {
		i--
		buf[i] = byte('0' + v%10)
		v /= 10
	}
	return append(b, buf[i:]...)
}
