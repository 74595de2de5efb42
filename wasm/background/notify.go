package background

import (
	"strconv"

	"github.com/screenpop/screenpop/internal/call"
	"github.com/screenpop/screenpop/internal/phone"
	"github.com/screenpop/screenpop/wasm/view"
)

// Notification texts. Message keys are in extension/_locales/*/messages.json.
//
// Ringing: "Incoming call: Jeanne Martin — Martin SA" (the CRM record's
// name and company) / "06 12 34 56 82 — line Accueil";
// without a name: "Incoming call: 06 12 34 56 82" / "Line Accueil".
// Missed calls say "Missed call: …" the same way.
//
// Chrome shows two buttons: "Open in CRM" (the template expanded for the
// call) and "Call back" (a tel: URL of the E.164 number: the system's
// dialler, e.g. a softphone; click-to-call through OVH's API comes later).
// Firefox shows no buttons: a click on the notification opens the CRM.

func ringingNote(v *CallView, env Env) *Note {
	return note(v, env, "notifyRingingTitle")
}

func missedNote(v *CallView, env Env) *Note {
	return note(v, env, "notifyMissedTitle")
}

func note(v *CallView, env Env, titleKey string) *Note {
	n := &Note{ID: key(v.Call), Title: env.t(titleKey, callerText(v, env))}
	line := lineText(v)
	named := v.CallerName != "" || view.CallerOf(*v).Named
	switch {
	case named && line != "":
		n.Message = env.t("notifyNumberOnLine", numberText(v, env), line)
	case named:
		n.Message = numberText(v, env)
	case line != "":
		n.Message = env.t("notifyLine", line)
	}
	if titleKey == "notifyRingingTitle" && choosing(v, env.Settings) {
		// Nothing opened: the agent chooses the record in the side panel.
		n.Message = env.t("notifyChoose", strconv.Itoa(max(len(v.Matches), v.MatchCount)), numberText(v, env))
	}
	n.Buttons = noteButtons(v, env)
	return n
}

// noteButtons are the notification's buttons, in order: NoteClicked maps
// a button index back to its URL by building them again.
func noteButtons(v *CallView, env Env) []Button {
	var b []Button
	if v.URL != "" {
		b = append(b, Button{Title: env.t("notifyOpenCRM"), URL: v.URL})
	}
	if u := CallBackURL(v); u != "" {
		b = append(b, Button{Title: env.t("notifyCallBack"), URL: u})
	}
	return b
}

// CallBackURL is a tel: URL of the other party's E.164 number, or "".
func CallBackURL(v *CallView) string {
	n := view.OtherParty(*v)
	if n.Kind != phone.Valid || n.Forms.E164 == "" {
		return ""
	}
	return "tel:" + n.Forms.E164
}

// callerText is who calls: the CRM record's name and company
// (view.Headline) or the caller's name when known, else the number.
func callerText(v *CallView, env Env) string {
	if view.CallerOf(*v).Named {
		return view.Headline(*v, env.t)
	}
	if v.CallerName != "" {
		return v.CallerName
	}
	return numberText(v, env)
}

// numberText is the other party's number as the agent reads it: grouped
// the national way (06 12 34 56 82) when it is from the line's country,
// else international (+44…).
func numberText(v *CallView, env Env) string {
	n := view.OtherParty(*v)
	line := v.Called
	if v.Call.Direction == call.Outbound {
		line = v.Calling
	}
	switch n.Kind {
	case phone.Valid:
		if n.Forms.Grouped != "" && (line.Region == "" || line.Region == n.Region) {
			return n.Forms.Grouped
		}
		if n.Forms.E164 != "" {
			return n.Forms.E164
		}
	case phone.Withheld:
		return env.t("callerWithheld")
	case phone.Internal:
		return env.t("callerInternal", n.Raw)
	}
	if n.Raw == "" {
		return env.t("callerWithheld")
	}
	return n.Raw
}

// lineText names the line the call is on: its name, else its number.
func lineText(v *CallView) string {
	if v.Call.LineName != "" {
		return v.Call.LineName
	}
	line := v.Called
	if v.Call.Direction == call.Outbound {
		line = v.Calling
	}
	if line.Kind == phone.Valid && line.Forms.Grouped != "" {
		return line.Forms.Grouped
	}
	return v.Call.Line
}
