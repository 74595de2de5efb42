package parse

import (
	"testing"

	"github.com/screenpop/screenpop/internal/phone"
)

func TestForms(t *testing.T) {
	tests := []struct {
		raw, region string
		wantRegion  string
		want        phone.Forms
	}{
		{"0033612345682", "FR", "FR", phone.Forms{
			E164: "+33612345682", Intl00: "0033612345682", National: "0612345682",
			Grouped: "06 12 34 56 82", Dotted: "06.12.34.56.82", Digits: "33612345682",
			NSN: "612345682", Like: "%6%1%2%3%4%5%6%8%2"}},
		{"+33 (0)1 23 45 67 89", "FR", "FR", phone.Forms{
			E164: "+33123456789", Intl00: "0033123456789", National: "0123456789",
			Grouped: "01 23 45 67 89", Dotted: "01.23.45.67.89", Digits: "33123456789",
			NSN: "123456789", Like: "%1%2%3%4%5%6%7%8%9"}},
		{"003225551212", "FR", "BE", phone.Forms{
			E164: "+3225551212", Intl00: "003225551212", National: "025551212",
			Grouped: "02 555 12 12", Dotted: "02.555.12.12", Digits: "3225551212",
			NSN: "25551212", Like: "%2%5%5%5%1%2%1%2"}},
		{"0041446681800", "FR", "CH", phone.Forms{
			E164: "+41446681800", Intl00: "0041446681800", National: "0446681800",
			Grouped: "044 668 18 00", Dotted: "044.668.18.00", Digits: "41446681800",
			NSN: "446681800", Like: "%4%4%6%6%8%1%8%0%0"}},
		// Luxembourg and Spain have no trunk prefix: National is the NSN.
		{"0035227123456", "FR", "LU", phone.Forms{
			E164: "+35227123456", Intl00: "0035227123456", National: "27123456",
			Grouped: "27 12 34 56", Dotted: "27.12.34.56", Digits: "35227123456",
			NSN: "27123456", Like: "%2%7%1%2%3%4%5%6"}},
		{"0034612345678", "FR", "ES", phone.Forms{
			E164: "+34612345678", Intl00: "0034612345678", National: "612345678",
			Grouped: "612 34 56 78", Dotted: "612.34.56.78", Digits: "34612345678",
			NSN: "612345678", Like: "%6%1%2%3%4%5%6%7%8"}},
		{"00493012345678", "FR", "DE", phone.Forms{
			E164: "+493012345678", Intl00: "00493012345678", National: "03012345678",
			Grouped: "030 12345678", Dotted: "030.12345678", Digits: "493012345678",
			NSN: "3012345678", Like: "%3%0%1%2%3%4%5%6%7%8"}},
		// Italy keeps the 0 of its landlines in every form, NSN included.
		{"00390612345678", "FR", "IT", phone.Forms{
			E164: "+390612345678", Intl00: "00390612345678", National: "0612345678",
			Grouped: "06 1234 5678", Dotted: "06.1234.5678", Digits: "390612345678",
			NSN: "0612345678", Like: "%0%6%1%2%3%4%5%6%7%8"}},
		{"00442079460018", "FR", "GB", phone.Forms{
			E164: "+442079460018", Intl00: "00442079460018", National: "02079460018",
			Grouped: "020 7946 0018", Dotted: "020.7946.0018", Digits: "442079460018",
			NSN: "2079460018", Like: "%2%0%7%9%4%6%0%0%1%8"}},
		// North America: no trunk 1 in the national forms.
		{"+1 (415) 555-0184", "FR", "US", phone.Forms{
			E164: "+14155550184", Intl00: "0014155550184", National: "4155550184",
			Grouped: "(415) 555-0184", Dotted: "415.555.0184", Digits: "14155550184",
			NSN: "4155550184", Like: "%4%1%5%5%5%5%0%1%8%4"}},
		{"0016132345678", "FR", "CA", phone.Forms{
			E164: "+16132345678", Intl00: "0016132345678", National: "6132345678",
			Grouped: "(613) 234-5678", Dotted: "613.234.5678", Digits: "16132345678",
			NSN: "6132345678", Like: "%6%1%3%2%3%4%5%6%7%8"}},
		// An extension stays out of every form.
		{"+33 1 23 45 67 89 ext. 12", "FR", "FR", phone.Forms{
			E164: "+33123456789", Intl00: "0033123456789", National: "0123456789",
			Grouped: "01 23 45 67 89", Dotted: "01.23.45.67.89", Digits: "33123456789",
			NSN: "123456789", Like: "%1%2%3%4%5%6%7%8%9"}},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			got := Number(tt.raw, tt.region)
			if got.Kind != phone.Valid {
				t.Fatalf("Number(%q, %q).Kind = %s, want valid", tt.raw, tt.region, got.Kind)
			}
			if got.Region != tt.wantRegion {
				t.Errorf("Region = %q, want %q", got.Region, tt.wantRegion)
			}
			if got.Forms != tt.want {
				t.Errorf("Forms =\n\t%+v\nwant\n\t%+v", got.Forms, tt.want)
			}
		})
	}
}
