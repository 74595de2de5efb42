package crm

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/screenpop/screenpop/internal/directory"
)

// This file is the call log: the Call record the relay writes in the CRM
// when a call ends, and the call-back Task (or planned Call) of a missed
// call. A record's id is derived from what it is about (CallRecordID,
// CallbackID), and written with the API's create-with-id: a retry, a
// relay restart or a second relay can only write the same record again,
// never a second one.

// The values of a Call's status and direction, as SuiteCRM and Sugar
// store them (their dropdowns' keys).
const (
	CallHeld    = "Held"
	CallNotHeld = "Not Held"
	CallPlanned = "Planned"

	CallInbound  = "Inbound"
	CallOutbound = "Outbound"
)

// CallLog is one Call record.
type CallLog struct {
	ID          string // its id: CallRecordID, or a planned Call's being updated
	Name        string // "Inbound call from Alice Martin"
	Direction   string // CallInbound or CallOutbound
	Status      string // CallHeld, CallNotHeld or CallPlanned
	Start       time.Time
	Duration    time.Duration
	Description string
	// Parent is the record the call is about (Contacts, Leads or
	// Accounts): parent_type and parent_id, and for a contact or lead
	// the calls' contacts or leads relationship too. nil: none.
	Parent *directory.Ref
	// Unrelate is a contact or lead the record was related to before
	// (the agent chose another record since): the link is removed.
	Unrelate *directory.Ref
	// AssignedUser is the CRM user id the record is assigned to ("": left
	// as it is, the API user's when created).
	AssignedUser string
}

// TaskLog is one call-back Task.
type TaskLog struct {
	ID           string
	Name         string
	Description  string
	Parent       *directory.Ref
	Due          time.Time
	AssignedUser string
}

// RecordState is whether a record exists in the CRM.
type RecordState int

const (
	RecordMissing RecordState = iota // never made: create it with its id
	RecordLive                       // there: update it
	RecordDeleted                    // made, then deleted by a CRM user: left deleted
)

// CallWriter writes Call and Task records in a CRM (V4Client, V11Client).
type CallWriter interface {
	// RecordState says whether module holds a record with id.
	RecordState(ctx context.Context, module, id string) (RecordState, error)
	// PutCall writes c: created with its id when create is set, else
	// updated; then related to its parent.
	PutCall(ctx context.Context, c CallLog, create bool) error
	// PutTask writes t, as PutCall.
	PutTask(ctx context.Context, t TaskLog, create bool) error
	// PlannedCall returns the id of a Planned Call whose parent is parent
	// and whose start is within window of at, the nearest; "" when none.
	PlannedCall(ctx context.Context, parent directory.Ref, at time.Time, window time.Duration) (string, error)
	// UserID returns the id of the CRM user named name; "" for the API
	// user itself. ErrNoUser when there is no such user.
	UserID(ctx context.Context, name string) (string, error)
}

// ErrNoUser is a user name the CRM does not know.
var ErrNoUser = errors.New("crm: no such CRM user")

// ErrRecordDeleted is a record a CRM user deleted: the relay does not
// bring it back.
var ErrRecordDeleted = errors.New("crm: the record was deleted in the CRM")

// SaveCall writes c once: created with its id if the CRM has no such
// record, updated if it has. It returns ErrRecordDeleted, writing
// nothing, when a CRM user deleted it.
func SaveCall(ctx context.Context, w CallWriter, c CallLog) error {
	st, err := w.RecordState(ctx, "Calls", c.ID)
	if err != nil {
		return err
	}
	if st == RecordDeleted {
		return fmt.Errorf("%w: Call %s", ErrRecordDeleted, c.ID)
	}
	return w.PutCall(ctx, c, st == RecordMissing)
}

// SaveTask creates t unless the CRM has it already (a call-back is made
// once: an agent may have closed or edited it since). It reports whether
// it created it.
func SaveTask(ctx context.Context, w CallWriter, t TaskLog) (bool, error) {
	st, err := w.RecordState(ctx, "Tasks", t.ID)
	if err != nil || st != RecordMissing {
		return false, err
	}
	return true, w.PutTask(ctx, t, true)
}

// SaveCallback creates the planned Call c (a call-back) unless the CRM
// has it already, as SaveTask.
func SaveCallback(ctx context.Context, w CallWriter, c CallLog) (bool, error) {
	st, err := w.RecordState(ctx, "Calls", c.ID)
	if err != nil || st != RecordMissing {
		return false, err
	}
	return true, w.PutCall(ctx, c, true)
}

// Namespaces of the name-based ids (fixed forever: changing one would
// make every relay write its calls again under new ids).
var (
	callNamespace     = uuid.MustParse("6f1d4b8e-3c52-4a8e-9a57-2f0c1e7d9b31")
	callbackNamespace = uuid.MustParse("0b9e6a2c-8d41-4f5e-b3a6-7c2d9e1f4a58")
)

// CallRecordID is the id of the Call record of OVH call callID on line:
// a name-based (SHA-1) UUID, the same on every relay. line is the line
// in its canonical form (relay.CanonicalLine), so that two spellings of
// one line give one record.
func CallRecordID(line, callID string) string {
	return uuid.NewSHA1(callNamespace, []byte(line+"\x00"+callID)).String()
}

// CallbackID is the id of the call-back of a caller on a day: callerKey
// is the caller's number key (directory.KeyOf), day its date in the
// relay's time zone (2006-01-02). One per caller per day, whatever the
// rings.
func CallbackID(callerKey, day string) string {
	return uuid.NewSHA1(callbackNamespace, []byte(callerKey+"\x00"+day)).String()
}

// durationParts is a duration as the CRM's duration_hours and
// duration_minutes, rounded up to the minute (a 20 s call is 1 minute:
// 0 would read as a call not held).
func durationParts(d time.Duration) (hours, minutes int) {
	m := int((d + time.Minute - 1) / time.Minute)
	if d <= 0 {
		m = 0
	}
	return m / 60, m % 60
}
