package parse

import (
	"strconv"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"
	"github.com/screenpop/screenpop/internal/phone"
)

// TestLineKeyEveryCountry holds phone.LineKey, which splits country codes
// without libphonenumber, to libphonenumber's country codes: for the
// example numbers of every region, the forms Number gives are one line,
// keyed as the country code then the national significant number (a
// leading 0 of it dropped, Italy's), and the national form, where the
// country writes it with a trunk 0 (not Hungary's 06, Russia's 8), is the
// same line too.
func TestLineKeyEveryCountry(t *testing.T) {
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		t.Fatal(err)
	}
	for _, md := range coll.GetMetadata() {
		cc := strconv.Itoa(int(md.GetCountryCode()))
		for _, nsn := range sampleNumbers(&country{md: md}) {
			n := Number("+"+cc+nsn, "FR")
			if n.Kind != phone.Valid {
				continue
			}
			want := cc + strings.TrimPrefix(n.Forms.NSN, "0")
			if len(want) < 7 {
				continue // a short number, keyed as written
			}
			spellings := []string{n.Forms.E164, n.Forms.Intl00, n.Forms.Digits}
			if !strings.HasPrefix(n.Forms.NSN, "0") {
				spellings = append(spellings, "+"+cc+" (0)"+n.Forms.NSN)
			}
			for _, s := range spellings {
				if got := phone.LineKey(s); got != want {
					t.Errorf("%s (%s): LineKey(%q) = %q, want %q", md.GetId(), cc, s, got, want)
				}
			}
			if nat := n.Forms.National; nat == "0"+n.Forms.NSN && len(n.Forms.NSN) >= 6 {
				if !phone.SameLine(nat, n.Forms.E164) {
					t.Errorf("%s (%s): SameLine(%q, %q) = false", md.GetId(), cc, nat, n.Forms.E164)
				}
			}
		}
	}
}
