package pop

import (
	"errors"
	"strings"
	"testing"
)

func TestPresetURL(t *testing.T) {
	tests := []struct {
		id, base, want string
	}{
		{PresetSugar6, "https://crm.example.com", "https://crm.example.com/index.php?module=Home&action=UnifiedSearch&query_string=*OTHER_LIKE*"},
		{PresetSugar6, " https://crm.example.com/ ", "https://crm.example.com/index.php?module=Home&action=UnifiedSearch&query_string=*OTHER_LIKE*"},
		{PresetSugar6, "http://10.0.0.5:8080/suitecrm/", "http://10.0.0.5:8080/suitecrm/index.php?module=Home&action=UnifiedSearch&query_string=*OTHER_LIKE*"},
		{PresetSugar6, "https://crm.example.com/crm/index.php?module=Home&action=index", "https://crm.example.com/crm/index.php?module=Home&action=UnifiedSearch&query_string=*OTHER_LIKE*"},
		{PresetSugar6, "https://crm.example.com/my%20crm/", "https://crm.example.com/my%20crm/index.php?module=Home&action=UnifiedSearch&query_string=*OTHER_LIKE*"},
		{PresetSugar6, "https://crm.example.com/my crm", "https://crm.example.com/my%20crm/index.php?module=Home&action=UnifiedSearch&query_string=*OTHER_LIKE*"},
		{PresetSugar7, "https://acme.sugarondemand.com/", "https://acme.sugarondemand.com/#search/*OTHER_NSN*?modules=Contacts,Accounts,Leads"},
		{PresetSugar7, "https://acme.sugarondemand.com/#Home", "https://acme.sugarondemand.com/#search/*OTHER_NSN*?modules=Contacts,Accounts,Leads"},
		{PresetSuite8, "https://crm.example.com", "https://crm.example.com/#/home/unified-search?query_string=*OTHER_LIKE*"},
		{PresetSuite8, "https://crm.example.com/legacy/", "https://crm.example.com/#/home/unified-search?query_string=*OTHER_LIKE*"},
		{PresetSuite8, "https://crm.example.com/#/contacts", "https://crm.example.com/#/home/unified-search?query_string=*OTHER_LIKE*"},
		{PresetCustom, "https://crm.example.com", DefaultTemplate},
	}
	for _, tt := range tests {
		got, err := PresetURL(tt.id, tt.base)
		if err != nil {
			t.Errorf("PresetURL(%s, %q): %v", tt.id, tt.base, err)
			continue
		}
		if got != tt.want {
			t.Errorf("PresetURL(%s, %q)\n got %s\nwant %s", tt.id, tt.base, got, tt.want)
		}
	}
}

func TestPresetURLErrors(t *testing.T) {
	tests := []struct {
		id, base, code, mention string
	}{
		{"sugar", "https://crm.example.com", ErrPreset, "sugar6, sugar7, suite8, custom"},
		{PresetSugar6, "", ErrBase, "https://crm.example.com"},
		{PresetSugar6, "crm.example.com", ErrBase, "https://crm.example.com"},
		{PresetSugar6, "ftp://crm.example.com", ErrBase, "https://"},
		{PresetSugar6, "javascript://crm.example.com", ErrBase, "https://"},
		{PresetSugar6, "https://", ErrBase, "no host"},
		{PresetSugar6, "https://admin:pw@crm.example.com", ErrBase, "password"},
		{PresetSugar6, "https://crm.example.com/*CALLING*", ErrBase, "*"},
		{PresetSugar6, "https://crm.example.com:port", ErrBase, "not a valid address"},
	}
	for _, tt := range tests {
		_, err := PresetURL(tt.id, tt.base)
		var te *TemplateError
		if !errors.As(err, &te) || te.Code != tt.code || !strings.Contains(te.Message, tt.mention) {
			t.Errorf("PresetURL(%s, %q) = %v, want code %s mentioning %q", tt.id, tt.base, err, tt.code, tt.mention)
		}
	}
}

func TestPresets(t *testing.T) {
	ps := Presets()
	if len(ps) != 4 {
		t.Fatalf("%d presets", len(ps))
	}
	for _, p := range ps {
		if p.Name == "" || p.Help == "" {
			t.Errorf("preset %s undocumented", p.ID)
		}
		if err := ValidateTemplate(p.Template("https://crm.example.com/")); err != nil {
			t.Errorf("preset %s: %v", p.ID, err)
		}
		if q, ok := PresetByID(p.ID); !ok || q.ID != p.ID {
			t.Errorf("PresetByID(%s) = %v, %v", p.ID, q, ok)
		}
	}
	ps[0].ID = "changed"
	if Presets()[0].ID != PresetSugar6 {
		t.Error("Presets returns the package's own array")
	}
	if err := ValidateTemplate(DefaultTemplate); err != nil {
		t.Errorf("DefaultTemplate: %v", err)
	}
}
