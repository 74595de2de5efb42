package crm

import (
	"fmt"
	"net/url"
	"strings"
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

// RecordURL returns the page of a record of module with id in a CRM of
// kind at base (its root, as checkBaseURL returns it: no trailing
// slash), or "" when kind is unknown or module or id is empty. The
// values are escaped: a record ID is the CRM's, not trusted to be a
// UUID.
func RecordURL(kind Kind, base, module, id string) string {
	if module == "" || id == "" {
		return ""
	}
	base = strings.TrimRight(base, "/")
	switch kind {
	case KindSuiteCRM7:
		return base + "/index.php?module=" + url.QueryEscape(module) + "&action=DetailView&record=" + url.QueryEscape(id)
	case KindSugar7:
		return base + "/#" + url.PathEscape(module) + "/" + url.PathEscape(id)
	case KindSuiteCRM8:
		return base + "/#/" + url.PathEscape(strings.ToLower(module)) + "/record/" + url.PathEscape(id)
	}
	return ""
}
