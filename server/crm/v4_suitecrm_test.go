package crm_test

import (
	"context"
	"testing"
	"time"

	"github.com/screenpop/screenpop/e2e/suitecrm"
	"github.com/screenpop/screenpop/server/crm"
)

func TestV4ChangesRealSuiteCRM(t *testing.T) {
	c := suitecrm.Start(t)
	api, err := crm.NewV4Client(crm.V4Config{BaseURL: c.BaseURL, User: c.User, Password: c.Password})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, next, err := api.Changes(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("next %v full %v upserts %d deletes %d", next, s.Full, len(s.Upserts), len(s.Deletes))
	for _, r := range s.Upserts {
		t.Logf("%+v", r)
	}
	s, next2, err := api.Changes(ctx, next)
	t.Logf("incr: %v next %v full %v upserts %d deletes %d", err, next2, s.Full, len(s.Upserts), len(s.Deletes))
}
