package view

// The caller card: who calls, as every page shows it (side panel, popup,
// in-page card, notifications), from what the relay's CRM directory said
// (stream.Card) and what the background made of it (CallView.URL, Target).

import (
	"strings"
	"time"

	"github.com/screenpop/screenpop/internal/pop"
	"github.com/screenpop/screenpop/internal/stream"
)

// Record is one CRM record that matches the caller, as the card lists it.
type Record struct {
	Index   int    // its place in the call's matches (RequestOpen's "record")
	Name    string // e.g. "Alice Martin"
	Company string // the account, for a contact or lead; "" when the CRM has none
	Kind    Text   // the record type: Contact, Lead, Account (translated), else the module's name
	Owner   string // the user the record is assigned to; "" when not known
	URL     string // the record's page on the agent's CRM address; "" when it has none
}

// Caller is what the caller card shows of one call.
type Caller struct {
	Title   Text   // the caller's name, else the number (CallerLabel)
	Named   bool   // Title is a name: Number says the number under it
	Number  Text   // the other party's number, as the agent reads it
	Company string // the one match's company ("" with several or none)
	Kind    Text   // the one match's record type (empty Text with several or none)
	Owner   string // the one match's owner
	Records []Record
	Line    string    // the line the call came in on (LineLabel)
	Queue   bool      // a hunting-queue call: Line is the queue
	Joined  time.Time // when the caller joined the queue (zero when not a queue call or not known)
	// Open is the label of the card's "open in CRM" action, after what
	// it opens (CallView.Target): the record, a new contact or the search.
	Open Text
	// Choose: the pop let the agent choose among the records (nothing
	// opened by itself).
	Choose bool
}

// CallerOf is the caller card of call c.
func CallerOf(c CallView) Caller {
	other := OtherParty(c)
	k := Caller{
		Title:  CallerLabel(c),
		Number: NumberLabel(other, LinePart(c).Region),
		Line:   LineLabel(c),
		Queue:  c.Call.Queue,
		Choose: c.Target == pop.TargetChoose,
	}
	k.Named = k.Title.Key == "" && k.Title.Plain != k.Number.Plain
	if k.Queue {
		k.Joined = c.Call.RingAt
	}
	for i, m := range c.Matches {
		k.Records = append(k.Records, Record{Index: i, Name: m.Name, Company: strings.TrimSpace(matchCompany(m)),
			Kind: ModuleLabel(m.Module), Owner: strings.TrimSpace(matchOwner(m)), URL: m.URL})
	}
	if len(k.Records) == 1 {
		r := k.Records[0]
		k.Company, k.Kind, k.Owner = r.Company, r.Kind, r.Owner
	}
	switch c.Target {
	case pop.TargetRecord:
		k.Open = Msg("cardOpenRecord")
	case pop.TargetNew:
		k.Open = Msg("cardNewContact")
	default:
		k.Open = Msg("cardSearch")
	}
	return k
}

// ModuleLabel names a CRM module as a record type: Contacts, Leads and
// Accounts (the modules the relay's directory holds) are translated; any
// other is shown as the CRM names it.
func ModuleLabel(module string) Text {
	switch module {
	case "Contacts":
		return Msg("recordContact")
	case "Leads":
		return Msg("recordLead")
	case "Accounts":
		return Msg("recordAccount")
	case "":
		return Text{}
	}
	return Plain(module)
}

// Headline is the caller in one line, for a notification's title: "Alice
// Martin — Martin SA" when the one matching record has a company, else
// the name, else the number.
func Headline(c CallView, tr func(string, ...string) string) string {
	k := CallerOf(c)
	s := k.Title.String(tr)
	if k.Company != "" && k.Company != s {
		s += " — " + k.Company
	}
	return s
}

// RecordKeys are the message keys the caller card uses, for the tests
// that check both languages have them.
func RecordKeys() []string {
	return []string{"recordContact", "recordLead", "recordAccount", "cardOpenRecord", "cardNewContact", "cardSearch"}
}

// matchCompany and matchOwner read the relay's match for what the CRM
// says of the record's company and owner.
func matchCompany(m stream.Match) string { return m.Company }
func matchOwner(m stream.Match) string   { return m.Owner }
