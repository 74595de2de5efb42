package crm

import (
	"fmt"

	"github.com/screenpop/screenpop/internal/pop"
)

// Kind is which CRM's record pages the relay links to: the API (v4_1 or
// v11) says how the relay reads the records, the kind where a browser
// opens one.
type Kind string

const (
	KindSuiteCRM7 Kind = "suitecrm7" // SugarCRM 6.5 and SuiteCRM 7: index.php?module=…&action=DetailView&record=…
	KindSugar7    Kind = "sugar7"    // Sugar 7 and later: #<Module>/<id>
	KindSuiteCRM8 Kind = "suitecrm8" // SuiteCRM 8: #/<module>/record/<id>
)

// Kinds lists the kinds, for a configuration error.
var Kinds = []Kind{KindSuiteCRM7, KindSugar7, KindSuiteCRM8}

// ParseKind checks a kind as a configuration gives it.
func ParseKind(s string) (Kind, error) {
	for _, k := range Kinds {
		if string(k) == s {
			return k, nil
		}
	}
	return "", fmt.Errorf("%q is not a CRM kind: use suitecrm7 (SugarCRM 6.5, SuiteCRM 7), sugar7 (Sugar 7 and later) or suitecrm8", s)
}

// Preset is the extension's CRM preset whose record pages kind links to:
// the record page of each CRM is one rule, pop.Records, for the relay's
// links and the extension's alike.
func (k Kind) Preset() string {
	switch k {
	case KindSuiteCRM7:
		return pop.PresetSugar6
	case KindSugar7:
		return pop.PresetSugar7
	case KindSuiteCRM8:
		return pop.PresetSuite8
	}
	return ""
}

// Records returns the record pages of a CRM of kind at base (its root),
// checking base once: the relay builds it at start, and each ring's
// matches get their URL from it.
func Records(kind Kind, base string) (pop.Records, error) {
	r, ok, err := pop.RecordsFor(kind.Preset(), base)
	if err != nil {
		return pop.Records{}, err
	}
	if !ok {
		return pop.Records{}, fmt.Errorf("%q is not a CRM kind: use suitecrm7 (SugarCRM 6.5, SuiteCRM 7), sugar7 (Sugar 7 and later) or suitecrm8", kind)
	}
	return r, nil
}

// RecordURL returns the page of a record of module with id in a CRM of
// kind at base, or "" when kind or base is unusable or module or id is
// empty (pop.Records.URL: values escaped, a record ID is the CRM's, not
// trusted to be a UUID). For one record; a relay uses Records once.
func RecordURL(kind Kind, base, module, id string) string {
	r, err := Records(kind, base)
	if err != nil {
		return ""
	}
	return r.URL(module, id)
}
