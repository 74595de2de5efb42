package stdlite

import (
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseJSON(t *testing.T) {
	for _, s := range []string{
		`{}`, `[]`, `""`, `0`, `-1.5e3`, `true`, `false`, `null`, ` {"a" : [1, "x", {"b": null}] } `,
		`"\u00e9\ud83d\ude00\n\t\"\\\/"`, `"\ud800"`, `{"a":1,"a":2}`,
	} {
		if _, err := ParseJSON(s); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
	for _, s := range []string{``, `{`, `[1,]`, `{"a"}`, `{"a":1,}`, `"abc`, `tru`, `01x`, `{} {}`, `"\x"`, "\"a\nb\"", `-`, strings.Repeat("[", maxDepth+2) + strings.Repeat("]", maxDepth+2)} {
		if _, err := ParseJSON(s); err == nil {
			t.Errorf("%q: no error", s)
		}
	}
	v, _ := ParseJSON(`"\u00e9\ud83d\ude00\n"`)
	if v.Text != "é😀\n" {
		t.Errorf("escapes: %q", v.Text)
	}
}

func FuzzParseJSON(f *testing.F) {
	f.Add(strings.Repeat("[", 70) + strings.Repeat("]", 70))
	for _, s := range []string{`{"type":"event","id":3,"event":{"name":"x","call":{"ringAt":"2024-01-02T03:04:05.5Z"}}}`, `"\ud83d\ude00"`, `[1,2,{"a":null}]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseJSON(s)
		if (err == nil) != json.Valid([]byte(s)) {
			t.Fatalf("ParseJSON(%q) err = %v, json.Valid = %v", s, err, json.Valid([]byte(s)))
		}
		if err == nil && v.Kind == JSONString && utf8.ValidString(s) { // text from JavaScript is always valid UTF-8
			var want string
			json.Unmarshal([]byte(s), &want)
			if v.Text != want {
				t.Fatalf("string %q: got %q, want %q", s, v.Text, want)
			}
		}
	})
}

func FuzzQuoteJSON(f *testing.F) {
	for _, s := range []string{"", "a<b>&c", "é\u2028\u2029", "\x00\x1f\x7f", "\xff\xfe", `"\`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := string(mustJSON(t, s))
		if got := QuoteJSON(s); got != want {
			t.Fatalf("quote(%q) = %s, want %s", s, got, want)
		}
		if utf8.ValidString(s) {
			v, err := ParseJSON(QuoteJSON(s))
			if err != nil || v.Text != s {
				t.Fatalf("round trip %q: %q %v", s, v.Text, err)
			}
		}
	})
}

func TestTime(t *testing.T) {
	for _, tm := range []time.Time{
		time.Date(2024, 3, 9, 14, 5, 7, 0, time.UTC),
		time.Date(2024, 3, 9, 14, 5, 7, 120000000, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(2024, 3, 9, 14, 5, 7, 5, time.FixedZone("", 2*3600)),
	} {
		s := tm.UTC().Format(time.RFC3339Nano)
		if got := string(AppendTime(nil, tm)); got != s {
			t.Errorf("AppendTime = %s, want %s", got, s)
		}
		back, err := ParseTime(tm.Format(time.RFC3339Nano))
		if err != nil || !back.Equal(tm) || back.Location() != time.UTC {
			t.Errorf("ParseTime(%s) = %v %v", tm.Format(time.RFC3339Nano), back, err)
		}
	}
	for _, s := range []string{"", "2024-03-09", "2024-03-09T14:05:07", "2024-03-09T14:05:07.Z", "2024-03-09T14:05:07+0200", "2024-03-09 14:05:07Z",
		"2024-13-09T14:05:07Z", "2024-00-09T14:05:07Z", "2023-02-29T14:05:07Z", "2024-04-31T14:05:07Z", "2024-03-09T24:05:07Z", "2024-03-09T14:60:07Z", "2024-03-09T14:05:60Z"} {
		if _, err := ParseTime(s); err == nil {
			t.Errorf("ParseTime(%q): no error", s)
		}
	}
}

// TestTimeDays checks the date arithmetic against package time, day by
// day over years 0 to 9999, and at every hour of a few days.
func TestTimeDays(t *testing.T) {
	start := time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)
	for day := 0; day < 366*10000; day += 1 {
		tm := start.AddDate(0, 0, day)
		if tm.Year() > 9999 {
			break
		}
		y, m, d := tm.Date()
		days := floorDiv(tm.Unix(), 86400)
		if gy, gm, gd := civilFromDays(days); gy != y || gm != int(m) || gd != d {
			t.Fatalf("civilFromDays(%d) = %d-%d-%d, want %s", days, gy, gm, gd, tm.Format(time.DateOnly))
		}
		if got := daysFromCivil(y, int(m), d); got != days {
			t.Fatalf("daysFromCivil(%s) = %d, want %d", tm.Format(time.DateOnly), got, days)
		}
		if d == 28 || d == 1 || day%997 == 0 {
			if got := daysIn(y, int(m)); got != time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day() {
				t.Fatalf("daysIn(%d, %d) = %d", y, m, got)
			}
		}
	}
	for _, tm := range []time.Time{time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC), time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), time.Date(1600, 3, 1, 0, 0, 0, 0, time.UTC)} {
		for h := 0; h < 24; h++ {
			x := tm.Add(time.Duration(h)*time.Hour + 59*time.Minute + 58*time.Second + 7)
			if got, want := string(AppendTime(nil, x)), x.Format(time.RFC3339Nano); got != want {
				t.Fatalf("AppendTime = %s, want %s", got, want)
			}
			if back, err := ParseTime(x.Format(time.RFC3339Nano)); err != nil || back != x {
				t.Fatalf("ParseTime(%s) = %v, %v", x.Format(time.RFC3339Nano), back, err)
			}
		}
	}
}

func TestInt(t *testing.T) {
	for in, want := range map[string]int64{
		"0": 0, "-0": 0, "42": 42, "-42": -42, "1.9": 1, "-1.9": -1, "0.005": 0, "1e3": 1000, "1E+3": 1000, "1.5e3": 1500,
		"-2.5E-1": 0, "12345e-2": 123, "1e21": math.MaxInt64, "-1e21": math.MinInt64, "9223372036854775807": math.MaxInt64,
		"9223372036854775808": math.MaxInt64, "-9223372036854775809": math.MinInt64, "1e400": math.MaxInt64, "1e-400": 0,
		"123456789012345678901234": math.MaxInt64, "0.000000000000000000000000001e30": 1000, "1700000000000.0": 1700000000000,
	} {
		v := JSONValue{Kind: JSONNumber, Text: in}
		if got := v.Int(); got != want {
			t.Errorf("Int(%s) = %d, want %d", in, got, want)
		}
	}
	for _, in := range []string{"0", "7", "42", "18446744073709551615", "18446744073709551616", "99999999999999999999999", "-1", "+1", "1.5", "1e3", "", "12a", "184467440737095516160x"} {
		want, err := strconv.ParseUint(in, 10, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			want = 0
		}
		v := JSONValue{Kind: JSONNumber, Text: in}
		if got := v.Uint(); got != want {
			t.Errorf("Uint(%q) = %d, want %d", in, got, want)
		}
	}
}

// FuzzInt: Int reads what strconv.ParseFloat reads, where a float64 holds
// the number exactly enough (15 significant digits, under 2^53).
func FuzzInt(f *testing.F) {
	for _, s := range []string{"1.5e3", "-0.25", "1234567.891", "12e-1", "0.0001e4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !validNumber(s) {
			return
		}
		v := JSONValue{Kind: JSONNumber, Text: s}
		got := v.Int()
		fl, err := strconv.ParseFloat(s, 64)
		if err != nil || math.Abs(fl) >= 1<<53 {
			return
		}
		sig := 0
		for _, c := range strings.TrimLeft(strings.SplitN(strings.ToLower(s), "e", 2)[0], "-0.") {
			if c != '.' {
				sig++
			}
		}
		if sig > 15 {
			return
		}
		if want := int64(fl); got != want {
			t.Fatalf("Int(%s) = %d, ParseFloat gives %d", s, got, want)
		}
	})
}

func TestSortStrings(t *testing.T) {
	for n := 0; n < 300; n += 7 {
		s := make([]string, n)
		for i := range s {
			s[i] = strconv.Itoa((i * 7919) % 101) // duplicates too
		}
		want := slices.Clone(s)
		slices.Sort(want)
		SortStrings(s, func(a, b string) bool { return a < b })
		if !slices.Equal(s, want) {
			t.Fatalf("n=%d: %q", n, s)
		}
	}
}

// TestCallJSONTags guards the codec against fields added to the shared
// types: encoding/json of a filled value must decode to the same value.

// TestParseJSONDepth: values nest as deep as encoding/json allows, and no
// deeper (FuzzParseJSON once found a 70-deep array refused here).
func TestParseJSONDepth(t *testing.T) {
	for _, n := range []int{70, maxDepth - 1, maxDepth, maxDepth + 1, maxDepth + 2} {
		for _, s := range []string{strings.Repeat("[", n) + strings.Repeat("]", n), strings.Repeat(`{"a":`, n) + "1" + strings.Repeat("}", n)} {
			_, err := ParseJSON(s)
			if want := json.Valid([]byte(s)); (err == nil) != want {
				t.Errorf("depth %d (%.5s…): ParseJSON err = %v, json.Valid = %v", n, s, err, want)
			}
		}
	}
}
