package crm

import "testing"

func TestRecordURL(t *testing.T) {
	const id = "2b7f5c1e-0000-4000-8000-000000000001"
	tests := []struct {
		kind         Kind
		base, module string
		id           string
		want         string
	}{
		{KindSuiteCRM7, "http://127.0.0.1:8081", "Contacts", id, "http://127.0.0.1:8081/index.php?module=Contacts&action=DetailView&record=" + id},
		{KindSuiteCRM7, "https://crm.example.com/suitecrm/", "Accounts", id, "https://crm.example.com/suitecrm/index.php?module=Accounts&action=DetailView&record=" + id},
		{KindSugar7, "https://sugar.example.com", "Leads", id, "https://sugar.example.com/#Leads/" + id},
		{KindSuiteCRM8, "https://crm8.example.com", "Contacts", id, "https://crm8.example.com/#/contacts/record/" + id},
		// An ID is the CRM's: escaped, never a way to change the URL.
		{KindSuiteCRM7, "http://crm", "Contacts", "a&action=EditView", "http://crm/index.php?module=Contacts&action=DetailView&record=a%26action%3DEditView"},
		// The extension's rule (pop.Records): dots too, so no dot segment.
		{KindSugar7, "http://crm", "Contacts", "../x/y", "http://crm/#Contacts/%2E%2E%2Fx%2Fy"},
		{KindSuiteCRM7, "http://crm", "Contacts", "", ""},
		{KindSuiteCRM7, "http://crm", "", id, ""},
		{Kind("other"), "http://crm", "Contacts", id, ""},
	}
	for _, tt := range tests {
		if got := RecordURL(tt.kind, tt.base, tt.module, tt.id); got != tt.want {
			t.Errorf("RecordURL(%s, %q, %q, %q) = %q, want %q", tt.kind, tt.base, tt.module, tt.id, got, tt.want)
		}
	}
}

func TestParseKind(t *testing.T) {
	for _, s := range []string{"suitecrm7", "sugar7", "suitecrm8"} {
		if k, err := ParseKind(s); err != nil || string(k) != s {
			t.Errorf("ParseKind(%q) = %q, %v", s, k, err)
		}
	}
	for _, s := range []string{"", "SuiteCRM7", "sugar"} {
		if _, err := ParseKind(s); err == nil {
			t.Errorf("ParseKind(%q) accepted", s)
		}
	}
}
